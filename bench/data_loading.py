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


def render(
    result: dict[str, Any], counted: dict[str, float] | None = None
) -> tuple[list[str], list[tuple[str, str, bool]]]:
    """The markdown section and its targets for docs/benchmarks.md.

    ``counted`` maps a dataset kind to the throughput ratio its instruction
    count predicts (``data_cost.expected_ratio``), shown beside the timed one.
    """
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
        shown = f"× {got:.3f}"
        if counted and kind in counted:
            shown += f" (by instructions per batch: × {counted[kind]:.3f})"
        targets.append(
            (
                f"data loading ({kind} samples) ≥ {RATIO_TARGET} × plain DataLoader throughput",
                shown,
                got >= RATIO_TARGET,
            )
        )
    lines += [
        "",
        "Why ours loads slower here: before each batch a worker reseeds python `random`, "
        "numpy and torch from the batch's own seed (exact resume needs every stream to "
        "depend on the batch alone), and the batch's indices travel with that seed "
        "(`SeededBatch`: pickled in the main process, unpickled in the worker). That work "
        "is per batch, not per sample. The count below (cachegrind) puts it at about 5 % "
        "of the user-mode instructions that loading one batch of 4 cheap samples costs "
        "both loaders (~1.9 M); about 40 % of it is the three Mersenne Twisters' "
        "initialisation (python's `random.seed` alone runs ~1,900 steps of it, ~26 k "
        "instructions; numpy's and torch's ~6 k each), the rest Python: ~13 k around the "
        "three seeds and ~13 k unpickling the seeded batch and wrapping the load in the "
        "worker (counted apart once, with a throwaway script), ~21 k making and pickling "
        "it in the main process (the table). The kernel adds about half as "
        "much CPU time again per batch, the same for both loaders (torch hands every batch "
        "tensor over through shared memory and a file descriptor; user 1.6 ms and system "
        "0.8 ms per batch, main process and workers together), which would make it ~3 % of "
        "the CPU time if every instruction cost the same; the reseeding runs on a "
        "worker's cold caches, and CPU time counted in turns in one process (the two "
        "loaders alternating, 8–20 epochs each) read +1 %, +4 %, +5 % and +6 % in four "
        "runs. With cheap samples the three processes keep both CPUs busy, so throughput "
        "follows CPU time: × 0.94–0.97 to expect, and what the rounds read (× 0.858, × "
        "0.966 and × 0.931 in three runs on 2026-12-02 on this AMD VM; × 0.972 on the "
        "Xeon of the earlier runs). With slow samples the workers are the bottleneck, "
        "each ~3.7 ms per batch here (four sleeps of ~0.58 ms and ~1.4 ms of CPU), and the "
        "same work should cost them 2–3 %; the rounds read × 0.955, × 0.973 and × "
        "0.947 (× 1.008 on the Xeon), and 30 pairs of epochs alternated in one process "
        "the same morning read × 1.033 (quartiles 0.913–1.113) for slow and × 0.972 "
        "(0.901–1.091) for cheap samples: on this VM no timing resolves a 3 % target. "
        "At batch 32 the extra work is 2.3 % of the instructions (second row), and it "
        "shrinks wherever a sample costs more than this one's few µs. The three "
        "initialisations alone are 2 % of a batch of 4 (× 0.98); the Python around them "
        "is spread thin (no C function over ~4 k), so trimming it would win back a point "
        "or so, and reseeding fewer streams would give up exact resume for datasets that "
        "draw from them. The target is left missed for batches of 4 cheap samples.",
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
