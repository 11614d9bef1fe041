"""Validation: ``ValLoop`` + ``Accuracy`` against a raw eval loop computing the same accuracy.

The W1 MLP (32-64-ReLU-10, untrained, the same weights for every variant)
over ``n`` synthetic samples in a ``TensorDataset``, batch 32, one thread,
``num_workers=0``; top-1 accuracy in percent. Variants, each run in a fresh
process per round, interleaved:

* ``raw``: ``for x, y in loader: correct += (model(x).argmax(1) == y).sum()``
  under ``torch.no_grad()``; the floor.
* ``ours``: ``runner.val()`` with the full default hook set, ``ValLoop`` and
  ``dict(type='Accuracy')`` (top-1, threshold 0, as MMEngine/mmpretrain).
* ``mmengine`` (when installed): MMEngine's Runner and ``ValLoop`` with an
  mmpretrain-style ``Accuracy`` (one ``{'pred_score', 'gt_label'}`` dict per
  sample, stacked at the end: mmpretrain itself is not installed).

Timed from ``before_val`` (highest priority) to ``after_val`` (lowest), which
includes computing the metric; the raw loop is timed around its ``for``. The
number of garbage-collector runs inside the timed part is recorded too: a
metric that keeps Python objects per sample makes the collector walk them
again and again, so the cost per batch grows with the number of samples.

Run alone: ``python bench/val_loop.py --rounds 3 --sizes 10000 100000``.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

N_FEATURES = 32
N_CLASSES = 10
BATCH = 32
SIZES = (10_000, 100_000)
VARIANTS = ("raw", "ours", "mmengine")
RATIO_TARGET = 1.3

_clock = time.perf_counter
_marks: dict[str, float] = {}


def _gc_runs() -> int:
    return sum(s["collections"] for s in gc.get_stats())


def _start() -> None:
    _marks["gc"] = _gc_runs()
    _marks["start"] = _clock()


def _stop() -> None:
    _marks["stop"] = _clock()
    _marks["gc"] = _gc_runs() - _marks["gc"]


def make_data(n: int) -> Any:
    import torch
    from torch.utils.data import TensorDataset

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, N_FEATURES, generator=gen)
    y = torch.randint(0, N_CLASSES, (n,), generator=gen)
    return TensorDataset(x, y)


def make_mlp() -> Any:
    import torch
    from torch import nn

    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(N_FEATURES, 64), nn.ReLU(), nn.Linear(64, N_CLASSES))


def raw_eval(dataset: Any, model: Any, limit: int | None = None) -> float:
    """The floor: forward, argmax, count; percent correct."""
    import torch
    from torch.utils.data import DataLoader

    loader = DataLoader(dataset, batch_size=BATCH, shuffle=False)
    model.eval()
    correct = total = 0
    _start()
    with torch.no_grad():
        for i, (inputs, targets) in enumerate(loader):
            if limit is not None and i == limit:
                break
            correct += int((model(inputs).argmax(dim=1) == targets).sum())
            total += len(targets)
    _stop()
    return 100.0 * correct / total


def ours(dataset: Any, model: Any, work_dir: str) -> float:
    from runner_core import Runner
    from runner_core.hooks import Hook

    class StartClock(Hook):
        priority = "HIGHEST"

        def before_val(self) -> None:
            _start()

    class StopClock(Hook):
        priority = "LOWEST"

        def after_val(self) -> None:
            _stop()

    runner = Runner(
        model=model,
        work_dir=work_dir,
        val_dataloader={
            "dataset": dataset,
            "batch_size": BATCH,
            "sampler": {"type": "DefaultSampler", "shuffle": False},
        },
        val_cfg={},
        val_evaluator={"type": "Accuracy"},
        custom_hooks=[StartClock(), StopClock()],
        log_level="WARNING",
    )
    metrics = runner.val()
    return float(metrics["accuracy/top1"])


def mmengine_val(dataset: Any, model: Any, work_dir: str) -> float:
    import torch
    from frameworks import mmengine_model
    from mmengine.evaluator import BaseMetric
    from mmengine.hooks import Hook
    from mmengine.runner import Runner

    class MMPretrainAccuracy(BaseMetric):
        default_prefix = "accuracy"

        def process(self, data_batch: Any, data_samples: Any) -> None:
            for sample in data_samples:
                self.results.append(
                    {"pred_score": sample["pred_score"].cpu(), "gt_label": sample["gt_label"].cpu()}
                )

        def compute_metrics(self, results: list) -> dict:
            scores = torch.stack([r["pred_score"] for r in results])
            labels = torch.cat([r["gt_label"] for r in results])
            top_scores, top_labels = scores.topk(1, dim=1)
            correct = (top_labels[:, 0] == labels) & (top_scores[:, 0] > 0.0)
            return {"top1": float(correct.float().mean() * 100)}

    class StartClock(Hook):
        priority = "HIGHEST"

        def before_val(self, runner: Any) -> None:
            _start()

    class StopClock(Hook):
        priority = "LOWEST"

        def after_val(self, runner: Any) -> None:
            _stop()

    runner = Runner(
        model=mmengine_model(model),
        work_dir=work_dir,
        val_dataloader={
            "dataset": dataset,
            "batch_size": BATCH,
            "sampler": {"type": "DefaultSampler", "shuffle": False},
            "collate_fn": {"type": "default_collate"},
        },
        val_cfg={},
        val_evaluator=[MMPretrainAccuracy()],
        custom_hooks=[StartClock(), StopClock()],
        log_level="WARNING",
    )
    metrics = runner.val()
    return float(metrics["accuracy/top1"])


def run_one(variant: str, size: int) -> dict[str, Any]:
    import torch

    torch.set_num_threads(1)
    dataset = make_data(size)
    raw_eval(dataset, make_mlp(), limit=100)  # warm-up, untimed
    _marks.clear()
    model = make_mlp()
    with tempfile.TemporaryDirectory(prefix="val-") as work_dir:
        if variant == "raw":
            accuracy = raw_eval(dataset, model)
        elif variant == "ours":
            accuracy = ours(dataset, model, work_dir)
        elif variant == "mmengine":
            accuracy = mmengine_val(dataset, model, work_dir)
        else:
            raise SystemExit(f"unknown variant {variant!r}; choose from {VARIANTS}")
    seconds = _marks["stop"] - _marks["start"]
    batches = -(-size // BATCH)
    return {
        "variant": variant,
        "size": size,
        "seconds": seconds,
        "batches": batches,
        "us_per_batch": seconds / batches * 1e6,
        "accuracy": accuracy,
        "gc_runs": int(_marks["gc"]),
    }


def measure(
    rounds: int = 5, python: str | None = None, sizes: tuple[int, ...] = SIZES
) -> dict[str, Any]:
    """Interleaved rounds per size; per-variant times, ratios and overhead per batch."""
    from _common import SINGLE_THREAD_ENV, child_env, run_child, summary
    from w1_overhead import peer_available

    python = python or sys.executable
    wanted = list(VARIANTS)
    skipped: dict[str, str] = {}
    ok, error = peer_available(python, "mmengine")
    if not ok:
        wanted.remove("mmengine")
        skipped["mmengine"] = f"import mmengine failed: {error}"
    env = child_env(SINGLE_THREAD_ENV)
    out: dict[str, Any] = {"rounds": rounds, "python": python, "sizes": {}, "skipped": skipped}
    for size in sizes:
        runs: dict[str, list[dict[str, Any]]] = {v: [] for v in wanted}
        for r in range(rounds):
            order = wanted[r % len(wanted) :] + wanted[: r % len(wanted)]
            for variant in order:
                got = run_child(
                    python, [__file__, "--child", variant, "--size", str(size)], env=env
                )
                runs[variant].append(got)
                print(
                    f"  val {size} round {r + 1}/{rounds} {variant:8s} {got['seconds']:.3f} s "
                    f"({got['us_per_batch']:.0f} us/batch, gc {got['gc_runs']})",
                    flush=True,
                )
        raw = [x["seconds"] for x in runs["raw"]]
        entry: dict[str, Any] = {}
        for variant, results in runs.items():
            times = [x["seconds"] for x in results]
            batches = results[0]["batches"]
            e: dict[str, Any] = {
                "seconds": summary(times),
                "us_per_batch": summary([t / batches * 1e6 for t in times]),
                "batches": batches,
                "accuracy": results[0]["accuracy"],
                "gc_runs": summary([x["gc_runs"] for x in results]),
            }
            if variant != "raw":
                e["ratio_to_raw"] = summary([t / b for t, b in zip(times, raw)])
                e["overhead_us_per_batch"] = summary(
                    [(t - b) / batches * 1e6 for t, b in zip(times, raw)]
                )
            entry[variant] = e
        out["sizes"][str(size)] = entry
    return out


LABELS = {
    "raw": "raw eval loop (floor)",
    "ours": "ours: `ValLoop` + `Accuracy`, default hooks",
    "mmengine": "MMEngine `ValLoop` + mmpretrain-style `Accuracy`",
}


def render(result: dict[str, Any]) -> tuple[list[str], list[tuple[str, str, bool]]]:
    """The markdown section and its targets for docs/benchmarks.md."""
    from _common import fmt_seconds

    lines = [
        "## Validation: `ValLoop` + `Accuracy`",
        "",
        f"The W1 MLP (untrained) over synthetic samples, batch {BATCH}, one thread, no "
        "workers, top-1 accuracy. Timed from `before_val` to `after_val` (the metric "
        f"included); {result['rounds']} interleaved rounds, a fresh process each. "
        "`gc` is how many times Python's garbage collector ran while timed.",
        "",
        "| samples | variant | wall time | µs / batch | × raw (per round) | "
        "overhead µs / batch | gc runs |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for size, entry in result["sizes"].items():
        for name, e in entry.items():
            s = e["seconds"]
            ratio = over = "—"
            if "ratio_to_raw" in e:
                q = e["ratio_to_raw"]
                ratio = f"{q['median']:.2f} [{q['min']:.2f}–{q['max']:.2f}]"
                o = e["overhead_us_per_batch"]
                over = f"{o['median']:+.0f} [{o['min']:+.0f}–{o['max']:+.0f}]"
            lines.append(
                f"| {int(size):,} | {LABELS.get(name, name)} | {fmt_seconds(s['median'])} "
                f"[{fmt_seconds(s['min'])}–{fmt_seconds(s['max'])}] | "
                f"{e['us_per_batch']['median']:.0f} | {ratio} | {over} | "
                f"{e['gc_runs']['median']:.0f} |"
            )
    for name, why in result.get("skipped", {}).items():
        lines.append(f"| | {LABELS.get(name, name)} | not run: {why} | | | | |")
    lines.append("")
    targets: list[tuple[str, str, bool]] = []
    ours = {size: e["ours"] for size, e in result["sizes"].items() if "ours" in e}
    if ours:
        ratios = {size: e["ratio_to_raw"]["median"] for size, e in ours.items()}
        worst = max(ratios.values())
        got = ", ".join(f"× {r:.2f} at {int(size):,}" for size, r in ratios.items())
        targets.append((f"validation ≤ {RATIO_TARGET} × raw eval loop", got, worst <= RATIO_TARGET))
        # flat: the overhead per batch must not grow with the pass (a fixed cost per pass,
        # spread over fewer batches, makes the small pass's figure the larger one)
        first, last = min(ours, key=int), max(ours, key=int)
        small = ours[first]["overhead_us_per_batch"]["median"]
        large = ours[last]["overhead_us_per_batch"]["median"]
        flat = large <= max(small * 1.25, small + 20.0)
        targets.append(
            (
                "validation overhead per batch flat in the number of samples",
                f"{small:+.0f} µs at {int(first):,} → {large:+.0f} µs at {int(last):,}",
                flat,
            )
        )
        if first != last:  # split the overhead into a cost per pass and a cost per batch
            b_small, b_large = ours[first]["batches"], ours[last]["batches"]
            per_batch = (large * b_large - small * b_small) / (b_large - b_small)
            per_pass = (small - per_batch) * b_small / 1e6
            lines += [
                f"From the two sizes: ours costs about {per_batch:+.0f} µs per batch over the "
                f"raw loop, plus {per_pass * 1000:+.0f} ms once per pass (first-call work "
                "inside the timed pass: hook and metric set-up, judging the last chunk).",
                "",
            ]
    return lines, targets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=VARIANTS, help="run one variant in this process")
    parser.add_argument("--size", type=int, default=SIZES[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--python", default=None)
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import write_json

    if args.child:
        write_json(args.json_out, run_one(args.child, args.size))
        return
    result = measure(args.rounds, args.python, tuple(args.sizes))
    write_json(args.json_out, result)
    print("\n".join(render(result)[0]))


if __name__ == "__main__":
    main()
