"""Data loading: our loader (seeded sampler, per-batch worker reseeding) against a plain DataLoader.

Both load one shuffled epoch with ``num_workers=2`` and batch 4, from two
datasets: ``cheap`` (an indexed tensor, ~µs per sample: the loader's own cost
shows) and ``slow`` (0.5 ms of sleep per sample, like decoding or reading a
file). Variants, each in a fresh process per round, interleaved:

* ``plain``: ``torch.utils.data.DataLoader(shuffle=True, num_workers=2)``.
* ``ours``: ``runner_core.data.build_dataloader`` (``DefaultSampler``,
  ``SeededBatchSampler``: every batch carries its seed and the worker reseeds
  python ``random``, numpy and torch before loading it, so a resumed epoch
  loads the remaining batches with exactly the same randomness).

Throughput is timed from the first batch to the last (worker start-up, the
same for both, is left out); the ratio is ours / plain per round (>= 0.97 is
the target).

Run alone: ``python bench/data_loading.py --rounds 3``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

BATCH = 4
WORKERS = 2
KINDS = {
    "cheap": (8_000, 0.0),
    "slow": (4_000, 0.0005),
}  # samples, seconds per sample (~1.5 s each)
VARIANTS = ("plain", "ours")
RATIO_TARGET = 0.97


class Samples:
    """``length`` fixed samples of 32 features; ``delay`` seconds of sleep per item."""

    def __init__(self, length: int, delay: float) -> None:
        import torch

        gen = torch.Generator().manual_seed(0)
        self.x = torch.randn(length, 32, generator=gen)
        self.y = torch.randint(0, 10, (length,), generator=gen)
        self.delay = delay

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index: int) -> Any:
        if self.delay:
            time.sleep(self.delay)
        return self.x[index], self.y[index]


def make_loader(variant: str, dataset: Any) -> Any:
    import torch
    from torch.utils.data import DataLoader

    if variant == "plain":
        gen = torch.Generator().manual_seed(0)
        return DataLoader(
            dataset, batch_size=BATCH, shuffle=True, num_workers=WORKERS, generator=gen
        )
    from runner_core.data import build_dataloader

    cfg = {
        "dataset": dataset,
        "batch_size": BATCH,
        "sampler": {"type": "DefaultSampler", "shuffle": True},
        "num_workers": WORKERS,
    }
    return build_dataloader(cfg, seed=0)


def run_one(variant: str, kind: str) -> dict[str, Any]:
    import torch

    torch.set_num_threads(1)
    length, delay = KINDS[kind]
    loader = make_loader(variant, Samples(length, delay))
    start = time.perf_counter()
    first = last = start
    batches = 0
    for _batch in loader:
        last = time.perf_counter()
        if batches == 0:
            first = last
        batches += 1
    steady = last - first
    return {
        "variant": variant,
        "kind": kind,
        "batches": batches,
        "seconds": steady,
        "with_startup_s": last - start,
        "samples_per_s": (batches - 1) * BATCH / steady,
    }


def measure(rounds: int = 5, kinds: tuple[str, ...] = tuple(KINDS)) -> dict[str, Any]:
    """Interleaved rounds per dataset kind; throughput and ours/plain ratios."""
    from _common import SINGLE_THREAD_ENV, child_env, run_child, summary

    env = child_env(SINGLE_THREAD_ENV)
    out: dict[str, Any] = {"rounds": rounds, "batch_size": BATCH, "workers": WORKERS, "kinds": {}}
    for kind in kinds:
        runs: dict[str, list[dict[str, Any]]] = {v: [] for v in VARIANTS}
        for r in range(rounds):
            order = list(VARIANTS) if r % 2 == 0 else list(reversed(VARIANTS))
            for variant in order:
                got = run_child(
                    sys.executable, [__file__, "--child", variant, "--kind", kind], env=env
                )
                runs[variant].append(got)
                print(
                    f"  data {kind} round {r + 1}/{rounds} {variant:6s} "
                    f"{got['samples_per_s']:.0f} samples/s ({got['seconds']:.3f} s)",
                    flush=True,
                )
        plain = runs["plain"]
        entry: dict[str, Any] = {
            "samples": KINDS[kind][0],
            "delay_s": KINDS[kind][1],
        }
        for variant, results in runs.items():
            e: dict[str, Any] = {
                "samples_per_s": summary([x["samples_per_s"] for x in results]),
                "seconds": summary([x["seconds"] for x in results]),
            }
            if variant != "plain":
                e["throughput_ratio"] = summary(
                    [x["samples_per_s"] / p["samples_per_s"] for x, p in zip(results, plain)]
                )
                e["overhead_us_per_batch"] = summary(
                    [
                        (x["seconds"] - p["seconds"]) / (x["batches"] - 1) * 1e6
                        for x, p in zip(results, plain)
                    ]
                )
            entry[variant] = e
        out["kinds"][kind] = entry
    return out


def render(result: dict[str, Any]) -> tuple[list[str], list[tuple[str, str, bool]]]:
    """The markdown section and its targets for docs/benchmarks.md."""
    lines = [
        "## Data loading",
        "",
        f"One shuffled epoch, batch {result['batch_size']}, `num_workers={result['workers']}`, "
        "timed from the first batch to the last; "
        f"{result['rounds']} interleaved rounds, a fresh process each. `ours` is "
        "`build_dataloader` (seeded `DefaultSampler`, every batch reseeds the worker's python "
        "`random`, numpy and torch from its own seed for exact resume).",
        "",
        "| dataset | variant | samples / s | ours ÷ plain throughput (per round) | "
        "overhead µs / batch |",
        "| --- | --- | --- | --- | --- |",
    ]
    targets: list[tuple[str, str, bool]] = []
    for kind, entry in result["kinds"].items():
        what = f"{kind}: {entry['samples']:,} samples" + (
            f", {entry['delay_s'] * 1000:.1f} ms each" if entry["delay_s"] else ", ~µs each"
        )
        for variant in VARIANTS:
            e = entry[variant]
            s = e["samples_per_s"]
            ratio = over = "—"
            if "throughput_ratio" in e:
                q = e["throughput_ratio"]
                ratio = f"{q['median']:.3f} [{q['min']:.3f}–{q['max']:.3f}]"
                o = e["overhead_us_per_batch"]
                over = f"{o['median']:+.0f} [{o['min']:+.0f}–{o['max']:+.0f}]"
            lines.append(
                f"| {what} | {variant} | {s['median']:,.0f} [{s['min']:,.0f}–{s['max']:,.0f}] "
                f"| {ratio} | {over} |"
            )
        got = entry["ours"]["throughput_ratio"]["median"]
        targets.append(
            (
                f"data loading ({kind} samples) ≥ {RATIO_TARGET} × plain DataLoader throughput",
                f"× {got:.3f}",
                got >= RATIO_TARGET,
            )
        )
    lines += [
        "",
        "What ours adds per batch, timed in place of each part (medians of 200–300 warm calls, "
        "and of 50 calls after evicting the caches, as a worker's are after loading the "
        "previous batch): reseeding python `random`, numpy and torch 10 µs warm, ~22 µs "
        "cold (`torch.manual_seed` alone was ~180 µs: torch's CPU generator is seeded "
        "directly); sending the batch's indices with their seed through the index queue "
        "(`SeededBatch`, pickled in the main process, unpickled in the worker) ~6 µs warm, "
        "~16 µs cold more than a plain list; the seeded batch sampler ~2 µs. About 20–45 "
        "µs in all, against ~2.8 ms of CPU time per batch that loading costs both loaders "
        "on cheap samples here (main process ~1.4 ms, workers ~1.5 ms: torch hands every "
        "batch tensor to the main process through shared memory and a file descriptor): "
        "× 0.98–0.99 expected. Counted in one process instead (the two loaders in turns, "
        "16 epochs of 500 batches each, CPU time of the main process and of the finished "
        "workers): plain 1.38 ms (main) + 1.52 ms (workers) per batch, ours +10 µs and "
        "+73 µs, +30 µs in all (medians of the per-turn differences, which move by "
        "±40 µs). Throughput is another matter on this 2-core VM: epochs of the same "
        "loader move by ±20 % from one to the next (three processes on two CPUs), and "
        "three runs on 2026-12-02 (AMD EPYC) read × 0.858, × 0.966 and × 0.931 for cheap "
        "samples (5, 11 and 11 rounds) and × 0.955, × 0.973 and × 0.947 for slow ones, "
        "against × 0.972 and × 1.008 on the Xeon of the earlier runs. All six medians "
        "fall below what the CPU time predicts; what makes ours lose more wall time "
        "than CPU time here is not found yet.",
        "",
    ]
    return lines, targets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=VARIANTS, help="run one variant in this process")
    parser.add_argument("--kind", choices=tuple(KINDS), default="cheap")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import write_json

    if args.child:
        write_json(args.json_out, run_one(args.child, args.kind))
        return
    result = measure(args.rounds)
    write_json(args.json_out, result)
    print("\n".join(render(result)[0]))


if __name__ == "__main__":
    main()
