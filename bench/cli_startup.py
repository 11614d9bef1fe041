"""Startup time of the light runner-cli commands (none of them may import torch).

Usage: ``python bench/cli_startup.py [--runs N]``. Prints the median and the
spread of N fresh processes per command; the target for ``--help`` is 0.3 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = {
    "--help": ["--help"],
    "plugins": ["plugins"],
    "config dump": ["config", "dump", "{cfg}"],
    "--version": ["--version"],
    "python -c pass (floor)": None,
}


def _time(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "c.py"
        cfg.write_text("_base_ = []\nmodel = dict(type='Net', depth=50)\nlr = 0.1\n")
        os.chdir(tmp)
        print(f"{'command':<26}{'median s':>10}{'min s':>8}{'max s':>8}   ({args.runs} runs)")
        for name, rest in COMMANDS.items():
            if rest is None:
                argv = [sys.executable, "-c", "pass"]
            else:
                argv = [sys.executable, "-m", "runner_cli", *(a.format(cfg=cfg) for a in rest)]
            _time(argv)  # warm the file cache
            times = [_time(argv) for _ in range(args.runs)]
            print(
                f"{name:<26}{statistics.median(times):>10.3f}{min(times):>8.3f}{max(times):>8.3f}"
            )


if __name__ == "__main__":
    main()
