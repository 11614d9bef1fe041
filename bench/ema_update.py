"""What EMAHook's averaged model costs per training iteration, by model size.

Run on demand (not part of the tests)::

    python bench/ema_update.py             # conv stacks of 10 and 50 blocks
    python bench/ema_update.py --width 64  # wider layers: the arithmetic dominates

A stack of ``Conv2d`` + ``BatchNorm2d`` blocks (50 blocks: 200 parameters,
350 state entries, about ResNet-50's count) stands in for the model.
``update`` is one ``update_parameters`` call (what ``after_train_iter`` does
once averaging has started), ``follow`` one ``follow`` call (what it does
before ``begin_iter`` / ``begin_epoch``). Medians over in-process repeats,
one torch thread.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

import torch
from torch import nn

from runner_hooks_standard.ema import ExponentialMovingAverage


def conv_stack(blocks: int, width: int) -> nn.Module:
    layers: list[nn.Module] = []
    for _ in range(blocks):
        layers += [nn.Conv2d(width, width, 3, padding=1), nn.BatchNorm2d(width)]
    return nn.Sequential(*layers)


def median_us(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("| blocks | parameters | state entries | update (µs) | follow (µs) |")
    print("| --- | --- | --- | --- | --- |")
    for blocks in args.blocks:
        model = conv_stack(blocks, args.width)
        ema = ExponentialMovingAverage(model)
        ema.update_parameters(model)  # the first update copies; time the blending ones
        update = median_us(partial(ema.update_parameters, model), args.repeats)
        follow = median_us(partial(ema.follow, model), max(args.repeats // 6, 3))
        params = sum(1 for _ in model.parameters())
        print(f"| {blocks} | {params} | {len(model.state_dict())} | {update:.0f} | {follow:.0f} |")


if __name__ == "__main__":
    main()
