"""The framework's own cost per iteration, with torch taken out of the loop.

A model whose ``train_step`` returns a constant dict (no forward, backward
or optimizer step) trained on a list of ints: what is left is the loop, the
hook dispatch and the hooks. The clock runs from ``before_train_epoch`` to
``after_train_epoch`` (first and last hook), so building the runner is not
timed. W1's overhead is this cost plus the slowdown Python work suffers when
it is interleaved with torch kernels (caches, branch predictors).

Variants:

* ``none``: ``default_hooks_set='none'`` (the loop, the core preemption hook);
* ``full``: the standard default hooks (W1's settings);
* ``only:<role>``: ``none`` plus that one default hook;
* ``noop:<n>``: ``none`` plus ``n`` hooks with a no-op ``after_train_iter``;
* ``idle:<n>``: ``none`` plus ``n`` hooks implementing no per-iteration point.

Run alone: ``python bench/null_overhead.py --repeats 7 none full``.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from typing import Any

N_ITERS = 20_000
ROLES = (
    "runtime_info",
    "timer",
    "sampler_seed",
    "logger",
    "param_scheduler",
    "checkpoint",
    "check_invalid_loss",
)
W1_DEFAULT_HOOKS: dict[str, Any] = {
    "logger": {"interval": 50},
    "checkpoint": {"interval": 10**9, "save_last": False},
}

_clock = time.perf_counter
_marks: dict[str, float] = {}


def make_hooks(kind: str, count: int) -> list[Any]:
    """``count`` fresh hooks: ``noop`` ones implement ``after_train_iter``, ``idle`` ones
    only ``before_train`` (a point that runs once)."""
    from frameworks import extra_hooks

    from runner_core.hooks import Hook

    return extra_hooks(Hook, kind, count)


def build_runner(variant: str, work_dir: str, loader: Any = None, model: Any = None) -> Any:
    """The Runner of ``variant`` (see the module docstring) with clock hooks."""
    import torch
    from frameworks import ours_clocks
    from torch import nn

    from runner_core import Runner
    from runner_core.model import BaseModel

    class NullModel(BaseModel):
        """One parameter (the optimizer needs one); ``train_step`` does no work."""

        def __init__(self) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.zeros(1))
            self._out = {"loss": torch.tensor(0.5)}

        def forward(self, *args: Any, **kwargs: Any) -> Any:
            return self._out

        def train_step(self, data: Any, optim_wrapper: Any) -> dict[str, Any]:
            return self._out

    start, stop = ours_clocks(_marks, _clock, "before_train_epoch", "after_train_epoch")
    kwargs: dict[str, Any] = {}
    extra: list[Any] = []
    if variant == "full":
        kwargs["default_hooks"] = dict(W1_DEFAULT_HOOKS)
    elif variant.startswith("only:"):
        role = variant.split(":", 1)[1]
        hooks: dict[str, Any] = {r: None for r in ROLES if r != role}
        hooks[role] = W1_DEFAULT_HOOKS.get(role, {})
        kwargs["default_hooks"] = hooks
    else:
        kwargs["default_hooks_set"] = "none"
        if variant != "none":
            kind, _, count = variant.partition(":")
            if kind not in ("noop", "idle"):
                raise SystemExit(f"unknown variant {variant!r}")
            extra = make_hooks(kind, int(count))
    return Runner(
        model=model if model is not None else NullModel(),
        work_dir=work_dir,
        train_dataloader=loader if loader is not None else list(range(N_ITERS)),
        train_cfg={"by_epoch": True, "max_epochs": 1},
        optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9}},
        custom_hooks=[start, *extra, stop],
        **kwargs,
    )


def one(variant: str) -> float:
    """Microseconds per iteration of one run of ``variant``."""
    _marks.clear()
    with tempfile.TemporaryDirectory(prefix="null-") as work_dir:
        runner = build_runner(variant, work_dir)
        runner.train()
        iters = runner.iter
        del runner
    gc.collect()
    return (_marks["stop"] - _marks["start"]) / iters * 1e6


def measure(variants: list[str], repeats: int) -> dict[str, dict[str, float]]:
    """Interleaved in-process repeats; min, median and max µs/iteration per variant."""
    import logging

    logging.disable(logging.INFO)  # the logger still formats its lines; nothing is printed
    one(variants[0])  # warm-up: imports, plugin discovery
    runs: dict[str, list[float]] = {v: [] for v in variants}
    for _ in range(repeats):
        for variant in variants:
            runs[variant].append(one(variant))
    return {
        v: {"min": min(xs), "median": statistics.median(xs), "max": max(xs)}
        for v, xs in runs.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*", default=["none", "full"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json-out", default=None)
    parser.add_argument(
        "--cpu-clock",
        action="store_true",
        help="time with this thread's CPU time (steadier on a shared machine)",
    )
    args = parser.parse_args()
    if args.cpu_clock:
        global _clock
        _clock = time.thread_time
    variants = list(args.variants)
    if "each" in variants:
        variants.remove("each")
        variants += [f"only:{r}" for r in ROLES]
    result = measure(variants, args.repeats)
    if args.json_out:
        sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
        from _common import write_json

        write_json(args.json_out, result)
    for variant, s in result.items():
        print(f"{variant:28s} {s['min']:6.2f} min  {s['median']:6.2f} median us/iter")


if __name__ == "__main__":
    main()
