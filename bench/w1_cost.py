"""W1's per-iteration cost counted, not timed: instructions, cache misses, mispredictions.

Timing W1 on a shared 2-core VM moves by ±5 µs/iter between processes,
more than most changes to the hooks. Valgrind's cachegrind counts what one
iteration executes, the same on every run: instructions (``Ir``), simulated
first-level instruction and data cache misses (``I1mr``, ``D1mr``) and
mispredicted conditional and indirect branches (``Bcm``, ``Bim``). Each variant
runs one epoch of 200 and of 1,200 iterations; the difference over 1,000 is
the cost of one iteration, with start-up and import cancelled out.

It explains why W1's overhead in time is several times its share of
instructions: the raw step is torch's dispatcher, front-end bound (about one
instruction-cache miss per 60 instructions), and every Python bytecode the
framework adds costs its instructions plus misses and mispredictions, in its
own code and in torch's, which it evicts.

Needs ``valgrind`` on the PATH (the section is skipped without it); about
ten minutes on two cores. Run alone: ``python bench/w1_cost.py``.
"""

from __future__ import annotations

import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _cachegrind  # noqa: E402
import w1_overhead as w1  # noqa: E402

VARIANTS = ("raw", "ours_none", "ours_full")
LENGTHS = (200, 1200)
EVENTS = ("Ir", "I1mr", "D1mr", "Bcm", "Bim")
EVENT_NAMES = {
    "Ir": "instructions",
    "I1mr": "L1 instruction misses",
    "D1mr": "L1 data read misses",
    "Bcm": "mispredicted branches",
    "Bim": "mispredicted indirect jumps",
}


def run_child(variant: str, iters: int | str) -> None:
    """W1's child (``w1_overhead.run_one``) on an epoch of ``iters`` iterations."""
    w1.N_SAMPLES = int(iters) * w1.BATCH
    w1.run_one(variant)


def _count(variant: str, iters: int, out_dir: Path) -> Path:
    """One child under cachegrind with cache and branch simulation; its output file."""
    out = out_dir / f"{variant}.{iters}.cg"
    _cachegrind.run(__file__, [variant, str(iters)], str(out), simulate=True)
    return out


def measure(workers: int = 2, top: int = 12) -> dict[str, Any]:
    """Per-iteration counts of each variant, their excess over raw, and where it goes."""
    if not _cachegrind.available():
        return {"skipped": _cachegrind.MISSING}
    with tempfile.TemporaryDirectory(prefix="w1-cost-") as tmp:
        jobs = [(v, n) for v in VARIANTS for n in LENGTHS]
        with ThreadPoolExecutor(workers) as pool:
            paths = dict(zip(jobs, pool.map(lambda job: _count(*job, Path(tmp)), jobs)))
        files = {job: _cachegrind.read(path) for job, path in paths.items()}
    span = LENGTHS[1] - LENGTHS[0]
    per_iter: dict[str, dict[str, float]] = {}
    per_fn: dict[str, dict[str, float]] = {}
    for variant in VARIANTS:
        (short, short_fn), (long, long_fn) = (
            files[(variant, LENGTHS[0])],
            files[(variant, LENGTHS[1])],
        )
        per_iter[variant] = {e: (long[e] - short[e]) / span for e in EVENTS}
        per_fn[variant] = _cachegrind.per_unit(
            _cachegrind.instructions(long_fn), _cachegrind.instructions(short_fn), span
        )
    excess = {v: {e: per_iter[v][e] - per_iter["raw"][e] for e in EVENTS} for v in VARIANTS[1:]}
    return {
        "per_iter": per_iter,
        "excess_over_raw": excess,
        "where": {
            "ours_none - raw": _cachegrind.most_added(per_fn["raw"], per_fn["ours_none"], top),
            "ours_full - ours_none": _cachegrind.most_added(
                per_fn["ours_none"], per_fn["ours_full"], top
            ),
        },
        "lengths": list(LENGTHS),
    }


def render(result: dict[str, Any]) -> list[str]:
    """Markdown lines for docs/benchmarks.md."""
    if not result or result.get("skipped"):
        why = result.get("skipped", "not run") if result else "not run"
        return [f"W1 counted with cachegrind (`bench/w1_cost.py`): skipped ({why}).", ""]
    raw = result["per_iter"]["raw"]
    lines = [
        "W1 counted with cachegrind (`bench/w1_cost.py`: per iteration, the difference "
        f"between runs of {result['lengths'][1]:,} and {result['lengths'][0]:,} iterations; "
        "the simulation has no timing noise, but the heap's layout differs between runs: "
        "the extra instructions move by up to ~8 k per iteration between runs of the same "
        "code, most of it in glibc's allocator and the garbage collector):",
        "",
        "| per iteration | raw | ours, no hooks | ours, full set |",
        "| --- | --- | --- | --- |",
    ]
    for event in EVENTS:
        cells = [f"{raw[event]:,.0f}"]
        for variant in VARIANTS[1:]:
            extra = result["excess_over_raw"][variant][event]
            cells.append(f"{extra:+,.0f} ({extra / raw[event]:+.1%})")
        lines.append(f"| {EVENT_NAMES[event]} (`{event}`) | " + " | ".join(cells) + " |")
    for label, rows in result["where"].items():
        named = ", ".join(f"`{f.split('(')[0][:48]}` {d:,.0f}" for f, d in rows[:8])
        lines.append("")
        lines.append(f"Extra instructions, {label}, by C function: {named}.")
    lines.append("")
    return lines


def main() -> None:
    _cachegrind.main(__doc__.splitlines()[0], ("VARIANT", "ITERS"), run_child, measure, render)


if __name__ == "__main__":
    main()
