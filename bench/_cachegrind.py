"""Valgrind's cachegrind for the counted benchmarks: run a child under it, read its files.

A counted benchmark (``w1_cost``, ``data_cost``) runs its own script again
as a child (``--child ARGS...``) under cachegrind and reads the counts back.
Counting has no timing noise, which is why those sections exist; the
environment pins hashing and threads so two runs of the same code count the
same.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

MISSING = "valgrind is not installed"


def available() -> bool:
    """True when ``valgrind`` is on the PATH (the counted sections are skipped without it)."""
    return shutil.which("valgrind") is not None


def run(script: str, child_args: Sequence[str], out_file: str, *, simulate: bool = False) -> int:
    """Run ``python script --child child_args...`` under cachegrind; return its pid.

    ``out_file`` may hold ``%p`` (the pid), which makes a process forked by the
    child, a data loader's worker for one, write a file of its own: the child's
    own file then ends in the pid returned here. ``simulate`` adds cachegrind's
    cache and branch simulation (several times slower).
    """
    env = dict(os.environ, PYTHONHASHSEED="0", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    sims = ["--cache-sim=yes", "--branch-sim=yes"] if simulate else ["--cache-sim=no"]
    cmd = ["valgrind", "--tool=cachegrind", *sims, f"--cachegrind-out-file={out_file}"]
    cmd += [sys.executable, script, "--child", *child_args]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = proc.communicate()
    if proc.returncode != 0:
        tail = err.decode(errors="replace")[-2000:]
        raise RuntimeError(f"cachegrind of {Path(script).name} {' '.join(child_args)}:\n{tail}")
    return proc.pid  # valgrind runs python in its own process


def read(path: Path) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Totals and per-function counts from a cachegrind output file."""
    names: list[str] = []
    per_fn: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    totals: dict[str, int] = {}
    fn = "?"
    for line in path.read_text().splitlines():
        if line.startswith("events:"):
            names = line.split()[1:]
        elif line.startswith("fn="):
            fn = line[3:]
        elif line.startswith("summary:"):
            totals = dict(zip(names, map(int, line.split()[1:])))
        elif line[:1].isdigit():
            counts = line.split()[1:]
            for name, count in zip(names, counts):
                per_fn[fn][name] += int(count)
    return totals, {f: dict(c) for f, c in per_fn.items()}


def instructions(per_fn: dict[str, dict[str, int]]) -> dict[str, int]:
    """Each function's instruction count (``Ir``) from :func:`read`'s per-function counts."""
    return {fn: counts.get("Ir", 0) for fn, counts in per_fn.items()}


def per_unit(long: dict[str, int], short: dict[str, int], span: int) -> dict[str, float]:
    """Per function: the longer run's count less the shorter's, over ``span`` units of work.

    Start-up and imports, the same in both runs, cancel out.
    """
    return {fn: (count - short.get(fn, 0)) / span for fn, count in long.items()}


def most_added(
    base: dict[str, float], other: dict[str, float], top: int
) -> list[tuple[str, float]]:
    """The ``top`` functions that ``other`` spends more on than ``base``, most first."""
    added = ((fn, count - base.get(fn, 0.0)) for fn, count in other.items())
    return sorted(((fn, d) for fn, d in added if d > 0), key=lambda x: -x[1])[:top]


def main(
    description: str,
    child_metavar: tuple[str, ...],
    run_child: Callable[..., None],
    measure: Callable[[], dict[str, Any]],
    render: Callable[[dict[str, Any]], list[str]],
) -> None:
    """A counted benchmark's command line: the child when ``--child``, else measure and print."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--child", nargs=len(child_metavar), metavar=child_metavar)
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args()
    if args.child:
        run_child(*args.child)
        return
    from _common import write_json

    result = measure()
    write_json(args.json_out, result)
    print("\n".join(render(result)))
