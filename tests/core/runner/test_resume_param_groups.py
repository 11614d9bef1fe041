"""A resume whose optimizer lacks a param group a hook added during the run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.data import TensorDataset

from runner_core import Runner
from runner_core.checkpoint import CheckpointError
from runner_core.hooks import Hook


class AddsGroup(Hook):
    """Adds a param group once training starts (a parameter of its own, say a learnt
    temperature); ``on_load`` also adds it when a checkpoint is loaded."""

    def __init__(self, on_load: bool) -> None:
        self.on_load = on_load
        self.extra = torch.nn.Parameter(torch.zeros(1))
        self.added = False

    def _add(self, runner: Any) -> None:
        if not self.added:
            runner.optim_wrapper.optimizer.add_param_group({"params": [self.extra]})
            self.added = True

    def before_train_epoch(self, runner: Any) -> None:
        self._add(runner)

    def after_load_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        if self.on_load:
            self._add(runner)


def _runner(work_dir: Path, max_epochs: int, hook: Hook, resume: bool = False) -> Runner:
    gen = torch.Generator().manual_seed(0)
    data = TensorDataset(torch.randn(16, 4, generator=gen), torch.randint(0, 2, (16,)))
    return Runner(
        model=torch.nn.Linear(4, 2),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=data, batch_size=8),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        custom_hooks=[hook],
        resume=resume,
    )


def test_the_error_names_the_hook_and_the_fix_that_resumes(tmp_path: Path) -> None:
    """It said paramwise_cfg or the model changed, and to start afresh with load_from."""
    _runner(tmp_path, 1, AddsGroup(on_load=False)).train()
    with pytest.raises(CheckpointError, match=r"has 2 param group\(s\).*has 1") as err:
        _runner(tmp_path, 2, AddsGroup(on_load=False), resume=True).train()
    assert "a hook added a group during the run" in str(err.value)
    assert "again in its after_load_checkpoint" in str(err.value)
    resumed = _runner(tmp_path, 2, AddsGroup(on_load=True), resume=True)
    resumed.train()  # the hint's fix: the group exists before the optimizer is restored
    assert resumed.epoch == 2 and len(resumed.optim_wrapper.param_groups) == 2
