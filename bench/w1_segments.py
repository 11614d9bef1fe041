"""W1's iteration cut into segments: data wait, hooks before, model step, hooks after.

Clock hooks at the highest and lowest priority of ``before_train_iter`` and
``after_train_iter`` split each iteration of ours into four segments; the raw
loop calls the same four clocks inline, so both pay the same clock cost. The
result says where the gap to the raw loop is spent: in the hooks' own code
(compare with the null model, where the same hooks run without torch), or in
the model step and the data loader running slower next to them.

Run alone: ``python bench/w1_segments.py --repeats 5``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import w1_overhead as w1  # noqa: E402

SEGMENTS = ("data", "before", "step", "after")
VARIANTS = ("raw", "ours_none", "ours_full")


class _Marks:
    """Sums of the four segments; ``tick(i)`` closes segment ``i``.

    The last segment is also summed apart on the iterations that write a log
    line (every ``w1.LOG_INTERVAL``-th), to price one log line as it runs in
    W1: its code and data are cold by then, 49 iterations of torch later.
    """

    def __init__(self) -> None:
        self.clock = w1._clock
        self.sums = [0.0] * len(SEGMENTS)
        self.last = self.clock()
        self.iters = 0
        self.logging_after = 0.0  # the last segment, on logging iterations only
        self.logging_iters = 0

    def tick(self, segment: int) -> None:
        now = self.clock()
        self.sums[segment] += now - self.last
        if segment == len(SEGMENTS) - 1:
            self.iters += 1
            if self.iters % w1.LOG_INTERVAL == 0:
                self.logging_after += now - self.last
                self.logging_iters += 1
        self.last = now

    def per_iter_us(self) -> dict[str, float]:
        n = max(self.iters, 1)
        result = {name: total / n * 1e6 for name, total in zip(SEGMENTS, self.sums)}
        others = n - self.logging_iters
        if self.logging_iters and others:
            on_logging = self.logging_after / self.logging_iters
            otherwise = (self.sums[-1] - self.logging_after) / others
            result["log_line"] = (on_logging - otherwise) * 1e6
        return result


def raw(loader: Any) -> dict[str, float]:
    import torch
    import torch.nn.functional as F

    model = w1.make_mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    marks = _Marks()
    for inputs, targets in loader:
        marks.tick(0)
        marks.tick(1)
        loss = F.cross_entropy(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        marks.tick(2)
        marks.tick(3)
    return marks.per_iter_us()


def ours(loader: Any, hooks_set: str | None) -> dict[str, float]:
    from runner_core import Runner
    from runner_core.hooks import Hook

    marks = _Marks()

    def clock_hook(priority: str, before: int, after: int) -> Hook:
        """A hook closing segment ``before`` at before_train_iter, ``after`` at after_train_iter."""

        class Clock(Hook):
            def before_train_epoch(self, runner: Any) -> None:
                if before == 0:  # the first clock starts the first data wait
                    marks.last = marks.clock()

            def before_train_iter(
                self, runner: Any, batch_idx: int, data_batch: Any = None
            ) -> None:
                marks.tick(before)

            def after_train_iter(
                self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
            ) -> None:
                marks.tick(after)

        Clock.priority = priority
        return Clock()

    kwargs: dict[str, Any] = {}
    if hooks_set == "none":
        kwargs["default_hooks_set"] = "none"
    else:
        kwargs["default_hooks"] = {
            "logger": {"interval": w1.LOG_INTERVAL},
            "checkpoint": {"interval": 10**9, "save_last": False},
        }
    # log lines as W1 writes them (console and file), the console sent to /dev/null
    with (
        tempfile.TemporaryDirectory(prefix="w1-seg-") as work_dir,
        open(os.devnull, "w") as devnull,
        contextlib.redirect_stdout(devnull),
    ):
        runner = Runner(
            model=w1.make_mlp(),
            work_dir=work_dir,
            train_dataloader=loader,
            train_cfg={"by_epoch": True, "max_epochs": 1},
            optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9}},
            custom_hooks=[clock_hook("HIGHEST", 0, 2), clock_hook("LOWEST", 1, 3)],
            **kwargs,
        )
        runner.train()
    return marks.per_iter_us()


def measure(repeats: int = 5) -> dict[str, Any]:
    """Interleaved in-process repeats; the median of each segment, µs per iteration."""
    import torch

    torch.set_num_threads(1)
    loader = w1.make_loader()
    w1.raw_loop(loader, w1.make_mlp(), 200)  # warm-up
    runs: dict[str, list[dict[str, float]]] = {v: [] for v in VARIANTS}
    for _ in range(repeats):
        runs["raw"].append(raw(loader))
        runs["ours_none"].append(ours(loader, "none"))
        runs["ours_full"].append(ours(loader, None))
    return {
        "repeats": repeats,
        "us_per_iter": {
            variant: {s: statistics.median(r[s] for r in results) for s in SEGMENTS}
            for variant, results in runs.items()
        },
        "log_line_us": {
            variant: statistics.median(r["log_line"] for r in results)
            for variant, results in runs.items()
            if all("log_line" in r for r in results)
        },
    }


def render(result: dict[str, Any]) -> list[str]:
    rows = result["us_per_iter"]
    lines = [
        f"W1 cut into segments (`bench/w1_segments.py`, one process, median of "
        f"{result['repeats']} interleaved repeats, µs/iteration; the clocks are hooks at the "
        "highest and lowest priority, called inline by the raw loop):",
        "",
        "| variant | data wait | hooks before | model step | hooks after | total |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for variant in VARIANTS:
        seg = rows[variant]
        cells = " | ".join(f"{seg[s]:.1f}" for s in SEGMENTS)
        lines.append(f"| {variant} | {cells} | {sum(seg.values()):.1f} |")
    log_line = result.get("log_line_us", {}).get("ours_full")
    if log_line is not None:
        lines += [
            "",
            f"One log line (every {w1.LOG_INTERVAL}th iteration: the hooks-after segment of "
            "a logging iteration less that of the others, median of the repeats) costs "
            f"{log_line:.0f} µs with the full set, {log_line / w1.LOG_INTERVAL:.1f} µs per "
            "iteration; included in the hooks-after column.",
        ]
    lines.append("")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print("\n".join(render(measure(args.repeats))))


if __name__ == "__main__":
    main()
