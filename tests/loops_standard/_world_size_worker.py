"""Trains the cases of ``test_resume_other_world_size.py``, alone or under torchrun.

Usage: ``python _world_size_worker.py '<json>'`` (or ``run_cases(opts)``) with
``work`` (a folder),
``out`` (a folder for ``<case>.rank<R>.json``), ``launcher`` and ``phase``:
``"stop"`` trains each case until its checkpoint ``stop.pth`` and stops there
(an exception, as a crash would); ``"resume"`` resumes each case from it and
trains to the end. Each rank writes the targets of its batches, one list per
iteration: sample ``i``'s target is ``i``, so they say which samples it trained.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from torch import nn

from runner_core import Hook
from runner_core.model import ModuleAdapter
from runner_core.runner import Runner

SIZE = 30
# (loop, sampler, batch size, iteration of the stop, end): see the test for the arithmetic
CASES = {
    "iter_default": ("iter", "DefaultSampler", 4, 10, 13),
    "iter_infinite": ("iter", "InfiniteSampler", 4, 9, 12),
    "epoch_default": ("epoch", "DefaultSampler", 4, 10, 2),
}


class Indexed(torch.utils.data.Dataset):
    """Sample ``i`` is ``(features, i)``: its target names it."""

    def __init__(self) -> None:
        self.x = torch.randn(SIZE, 4, generator=torch.Generator().manual_seed(0))

    def __len__(self) -> int:
        return SIZE

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.x[i], i


class Stopped(Exception):
    pass


class Record(Hook):
    """Record each iteration's samples; save ``stop.pth`` and stop after iteration ``stop_at``."""

    priority = "VERY_LOW"

    def __init__(self, stop_at: int | None) -> None:
        self.stop_at = stop_at
        self.trained: list[list[int]] = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.trained.append(data_batch[1].tolist())
        if runner.iter + 1 == self.stop_at:
            runner.save_checkpoint(runner.work_dir, "stop.pth")
            raise Stopped


def train(name: str, opts: dict) -> None:
    loop, sampler, batch_size, stop_at, end = CASES[name]
    resume = opts["phase"] == "resume"
    stopped = Path(opts["work"]) / name
    # a work dir of its own: the stopped run's may still be locked by its process
    work = stopped.with_name(f"{name}-resumed") if resume else stopped
    if loop == "iter":
        train_cfg = {"by_epoch": False, "max_iters": end, "val_interval": 1000}
    else:
        train_cfg = {"by_epoch": True, "max_epochs": end, "val_interval": 1000}
    torch.manual_seed(0)
    record = Record(None if resume else stop_at)
    runner = Runner(
        model=ModuleAdapter(nn.Linear(4, SIZE)),
        work_dir=str(work),
        train_dataloader={
            "dataset": Indexed(),
            "batch_size": batch_size,
            "sampler": {"type": sampler, "shuffle": True, "seed": 3},
        },
        train_cfg=train_cfg,
        optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.1}},
        launcher=opts["launcher"],
        env_cfg={"dist_cfg": {"backend": "gloo"}},
        randomness={"seed": 0},
        custom_hooks=[record],
        default_hooks={"checkpoint": None, "logger": None},
        resume=str(stopped / "stop.pth") if resume else False,
        log_level="ERROR",
    )
    try:
        runner.train()
    except Stopped:
        pass
    out = Path(opts["out"]) / f"{name}.rank{runner.rank}.json"
    out.write_text(json.dumps(record.trained))


def run_cases(opts: dict) -> None:
    for name in CASES:
        train(name, opts)


if __name__ == "__main__":
    run_cases(json.loads(sys.argv[1]))
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
