"""Start-up: how long until something happens, each in a fresh process.

* ``python -c "import torch"``: the reference; nothing that trains can start faster.
* ``python -c "import runner_core"`` (and whether that imported torch: it must not).
* ``runner-cli --help``.
* ``runner-cli train bench/configs/first_iter.py`` up to its first training
  iteration (a probe hook writes the time and ends the process).
* the same job with MMEngine's Runner and Lightning's Trainer
  (``bench/startup_peers.py``), when a peers interpreter has them.

Each is run ``repeats`` times, interleaved; medians are reported.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _wall(cmd: list[str], env: dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def _to_first_iter(cmd: list[str], env: dict[str, str], cwd: str) -> dict[str, float]:
    probe = Path(cwd) / "probe.json"
    probe.unlink(missing_ok=True)
    env = dict(env, BENCH_PROBE_FILE=str(probe))
    start = time.time()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    if not probe.exists():
        raise RuntimeError(f"{' '.join(cmd)} never reached an iteration:\n{proc.stderr[-3000:]}")
    record = json.loads(probe.read_text())
    return {
        "to_first_iter": record["first_iter"] - start,
        "before_run_to_first_iter": record["first_iter"] - record["before_run"],
    }


PEERS = {
    "mmengine": "MMEngine Runner (to first iteration)",
    "lightning": "Lightning Trainer (to first iteration)",
}


def measure(
    repeats: int = 7, python: str | None = None, peers_python: str | None = None
) -> dict[str, Any]:
    from _common import child_env, summary

    python = python or sys.executable
    peers: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for module, label in PEERS.items():
        if peers_python is None:
            skipped[label] = "no peers interpreter"
            continue
        found = subprocess.run([peers_python, "-c", f"import {module}"], capture_output=True)
        if found.returncode == 0:
            peers[module] = label
        else:
            skipped[label] = f"import {module} failed under {peers_python}"
    cli = str(Path(python).with_name("runner-cli"))
    env = child_env()
    cfg = str(HERE / "configs" / "first_iter.py")
    check = subprocess.run(
        [python, "-c", "import sys, runner_core; print('torch' in sys.modules)"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    torch_imported = check.stdout.strip() == "True"
    times: dict[str, list[float]] = {
        "import torch": [],
        "import runner_core": [],
        "runner-cli --help": [],
        "runner-cli train (to first iteration)": [],
        **{label: [] for label in peers.values()},
    }
    inside: list[float] = []
    with tempfile.TemporaryDirectory(prefix="startup-") as tmp:
        for r in range(repeats):
            times["import torch"].append(_wall([python, "-c", "import torch"], env, tmp))
            times["import runner_core"].append(
                _wall([python, "-c", "import runner_core"], env, tmp)
            )
            times["runner-cli --help"].append(_wall([cli, "--help"], env, tmp))
            work = str(Path(tmp) / f"run{r}")
            got = _to_first_iter([cli, "train", cfg, "--work-dir", work], env, tmp)
            times["runner-cli train (to first iteration)"].append(got["to_first_iter"])
            inside.append(got["before_run_to_first_iter"])
            for module, label in peers.items():
                assert peers_python is not None
                cmd = [peers_python, str(HERE / "startup_peers.py"), module]
                got = _to_first_iter(cmd, child_env(), tmp)
                times[label].append(got["to_first_iter"])
            print(
                f"  start-up round {r + 1}/{repeats}: "
                + ", ".join(f"{k} {v[-1]:.3f} s" for k, v in times.items()),
                flush=True,
            )
    return {
        "repeats": repeats,
        "import_runner_core_imports_torch": torch_imported,
        "seconds": {k: summary(v) for k, v in times.items()},
        "train_before_run_to_first_iter": summary(inside),
        "skipped": skipped,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--peers-python", default=None, help="interpreter with mmengine/lightning")
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from _common import write_json

    result = measure(args.repeats, peers_python=args.peers_python)
    write_json(args.json_out, result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
