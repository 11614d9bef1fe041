"""Data loading counted, not timed: instructions per batch in the main process and the workers.

The data-loading section times throughput, and on a shared 2-core VM an
epoch of the same loader moves by ±20 % from one to the next (three busy
processes on two CPUs), too much to read a 3 % target. Valgrind's
cachegrind counts the instructions each process executes, the same on
every run. Each variant of ``data_loading`` (``plain``, ``ours``) loads one
epoch of 100 and of 400 batches with ``num_workers=2`` on cheap samples; the
difference over 300 batches is the cost of one batch, with start-up and
imports cancelled out, for the main process and for the two workers
together (cachegrind follows a fork into its own output file). Batch sizes 4
(the section's) and 32 show which part of the cost is per batch and which
per sample.

When loading keeps the CPUs busy, throughput goes as one over the CPU time
per batch. Cachegrind counts user-mode instructions only: the kernel's part of
loading (shared memory and file descriptors for every batch tensor, the same
for both loaders) is left out, and an instruction on cold caches costs more
than one on warm ones, so ``plain / ours`` of the counts estimates the
throughput ratio rather than measuring it.

Needs ``valgrind`` on the PATH (skipped without it); about five minutes on
two cores. Run alone: ``python bench/data_cost.py``.
"""

from __future__ import annotations

import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _cachegrind  # noqa: E402
import data_loading  # noqa: E402

VARIANTS = data_loading.VARIANTS
BATCH_SIZES = (4, 32)
LENGTHS = (100, 400)  # batches per epoch


def run_child(variant: str, batch_size: int | str, batches: int | str) -> None:
    """One epoch of ``batches`` batches of cheap samples through ``variant``'s loader."""
    import torch

    torch.set_num_threads(1)
    batch_size, batches = int(batch_size), int(batches)
    data_loading.BATCH = batch_size
    loader = data_loading.make_loader(variant, data_loading.Samples(batches * batch_size, 0.0))
    loaded = sum(1 for _batch in loader)
    if loaded != batches:
        raise SystemExit(f"loaded {loaded} batches, expected {batches}")


def _count(variant: str, batch_size: int, batches: int, out_dir: Path) -> dict[str, Any]:
    """Run one child under cachegrind; the main process's and the workers' counts."""
    prefix = out_dir / f"{variant}.{batch_size}.{batches}"
    pid = _cachegrind.run(__file__, [variant, str(batch_size), str(batches)], f"{prefix}.%p")
    main_file = Path(f"{prefix}.{pid}")
    workers = [p for p in out_dir.glob(f"{prefix.name}.*") if p != main_file]
    if len(workers) != data_loading.WORKERS:
        raise RuntimeError(f"expected {data_loading.WORKERS} worker files, found {len(workers)}")
    main_total, main_fn = _cachegrind.read(main_file)
    out: dict[str, Any] = {
        "main": main_total["Ir"],
        "main_fn": _cachegrind.instructions(main_fn),
        "workers": 0,
    }
    workers_fn: dict[str, int] = {}
    for path in workers:
        total, per_fn = _cachegrind.read(path)
        out["workers"] += total["Ir"]  # a forked child's count starts from its parent's
        for fn, count in _cachegrind.instructions(per_fn).items():
            workers_fn[fn] = workers_fn.get(fn, 0) + count
    out["workers_fn"] = workers_fn
    return out


def measure(workers: int = 2, top: int = 8) -> dict[str, Any]:
    """Instructions per batch of each variant and batch size, and where ours adds them."""
    if not _cachegrind.available():
        return {"skipped": _cachegrind.MISSING}
    jobs = [(v, b, n) for b in BATCH_SIZES for v in VARIANTS for n in LENGTHS]
    with tempfile.TemporaryDirectory(prefix="data-cost-") as tmp:
        with ThreadPoolExecutor(workers) as pool:
            got = dict(zip(jobs, pool.map(lambda job: _count(*job, Path(tmp)), jobs)))
    span = LENGTHS[1] - LENGTHS[0]
    sizes: dict[str, Any] = {}
    for batch_size in BATCH_SIZES:
        per_batch: dict[str, dict[str, float]] = {}
        per_fn: dict[str, dict[str, dict[str, float]]] = {}
        for variant in VARIANTS:
            short, long = (
                got[(variant, batch_size, LENGTHS[0])],
                got[(variant, batch_size, LENGTHS[1])],
            )
            per_batch[variant] = {
                role: (long[role] - short[role]) / span for role in ("main", "workers")
            }
            per_fn[variant] = {
                role: _cachegrind.per_unit(long[f"{role}_fn"], short[f"{role}_fn"], span)
                for role in ("main", "workers")
            }
        where = {
            role: _cachegrind.most_added(per_fn["plain"][role], per_fn["ours"][role], top)
            for role in ("main", "workers")
        }
        sizes[str(batch_size)] = {"per_batch": per_batch, "where": where}
    return {"lengths": list(LENGTHS), "workers": data_loading.WORKERS, "batch_sizes": sizes}


def expected_ratio(result: dict[str, Any]) -> dict[str, float]:
    """``plain / ours`` of all instructions per batch at the data-loading section's batch size.

    Keyed by the section's dataset kind that the count loads (cheap samples);
    empty when the count was skipped or did not run that batch size.
    """
    entry = (result or {}).get("batch_sizes", {}).get(str(data_loading.BATCH))
    if not entry:
        return {}
    plain, ours = entry["per_batch"]["plain"], entry["per_batch"]["ours"]
    return {"cheap": (plain["main"] + plain["workers"]) / (ours["main"] + ours["workers"])}


def render(result: dict[str, Any]) -> list[str]:
    """Markdown lines for the data-loading section of docs/benchmarks.md."""
    if not result or result.get("skipped"):
        why = result.get("skipped", "not run") if result else "not run"
        return [
            f"Data loading counted with cachegrind (`bench/data_cost.py`): skipped ({why}).",
            "",
        ]
    lines = [
        "The same two loaders counted with cachegrind (`bench/data_cost.py`: cheap samples, "
        "user-mode instructions per batch, the difference between epochs of "
        f"{result['lengths'][1]} and {result['lengths'][0]} batches, the "
        f"{result['workers']} workers added up; no timing noise, but the kernel's part of "
        "loading, the same for both, is not counted):",
        "",
        "| batch size | main: plain, ours | workers: plain, ours | ours more, in all "
        "| plain ÷ ours |",
        "| --- | --- | --- | --- | --- |",
    ]
    for batch_size, entry in result["batch_sizes"].items():
        plain, ours = entry["per_batch"]["plain"], entry["per_batch"]["ours"]
        p_all, o_all = plain["main"] + plain["workers"], ours["main"] + ours["workers"]
        cells = [
            f"{plain[role] / 1e3:,.0f} k, {ours[role] / 1e3:,.0f} k "
            f"({(ours[role] - plain[role]) / 1e3:+,.1f} k)"
            for role in ("main", "workers")
        ]
        lines.append(
            f"| {batch_size} | {cells[0]} | {cells[1]} "
            f"| {(o_all - p_all) / 1e3:+,.1f} k ({o_all / p_all - 1:+.1%}) | × {p_all / o_all:.3f} |"
        )
    first = next(iter(result["batch_sizes"]))
    for role in ("workers", "main"):
        rows = result["batch_sizes"][first]["where"][role]
        named = ", ".join(f"`{f.split('(')[0][:48]}` {d:,.0f}" for f, d in rows)
        lines += ["", f"What ours adds per batch of {first} in the {role}, by C function: {named}."]
    lines.append("")
    return lines


def main() -> None:
    metavar = ("VARIANT", "BATCH_SIZE", "BATCHES")
    _cachegrind.main(__doc__.splitlines()[0], metavar, run_child, measure, render)


if __name__ == "__main__":
    main()
