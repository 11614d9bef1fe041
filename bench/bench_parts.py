"""Parts the start-up and resume benchmarks' configs import (``custom_imports``).

* ``BenchMLP``: the W1 MLP (32-64-ReLU-10), a plain module.
* ``SyntheticDataset``: ``length`` fixed random samples; ``delay`` seconds of
  sleep per ``__getitem__`` make loading slow-ish, so skipping batches on
  resume by loading them would show.
* ``FirstIterProbe``: at the first training iteration, writes wall-clock
  times (``before_run``, first iteration, the iteration number) as JSON to
  ``$BENCH_PROBE_FILE`` and ends the process: the benchmark measures how long
  a run takes to get going, not the run.
* ``SaveAt``: saves a checkpoint after the given iterations.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from runner_core.hooks import Hook
from runner_core.registry import DATASETS, HOOKS, MODELS


@MODELS.register_module(force=True)
class BenchMLP(nn.Sequential):
    def __init__(self) -> None:
        super().__init__(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 10))


@DATASETS.register_module(force=True)
class SyntheticDataset(Dataset):
    def __init__(self, length: int = 64_000, delay: float = 0.0) -> None:
        gen = torch.Generator().manual_seed(0)
        self.x = torch.randn(length, 32, generator=gen)
        self.y = torch.randint(0, 10, (length,), generator=gen)
        self.delay = float(delay)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if self.delay:
            time.sleep(self.delay)
        return self.x[index], self.y[index]


@HOOKS.register_module(force=True)
class FirstIterProbe(Hook):
    priority = "HIGHEST"

    def __init__(self) -> None:
        self._before_run = 0.0

    def before_run(self) -> None:
        self._before_run = time.time()

    def before_train_iter(self, runner: Any) -> None:
        now = time.time()
        record = {"before_run": self._before_run, "first_iter": now, "iter": runner.iter}
        path = os.environ.get("BENCH_PROBE_FILE")
        if path:
            with open(path, "w") as fh:
                json.dump(record, fh)
        os._exit(0)


@HOOKS.register_module(force=True)
class SaveAt(Hook):
    priority = "VERY_LOW"

    def __init__(self, iters: list[int]) -> None:
        self.iters = set(iters)

    def after_train_iter(self, runner: Any) -> None:
        done = runner.iter + 1
        if done in self.iters:
            runner.save_checkpoint(runner.work_dir, f"iter_{done}.pth")
