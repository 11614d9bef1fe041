"""PreemptionHook in one process: asleep per iteration, woken by its signal, stops in time."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from runner_core import Runner
from runner_core.checkpoint import read_pointer
from runner_core.hooks import Hook
from runner_core.runner.preemption import TrainingPreempted

ITERS_PER_EPOCH = 8


def _runner(work_dir: Path, hooks: list[Hook]) -> Runner:
    gen = torch.Generator().manual_seed(0)
    data = TensorDataset(
        torch.randn(32, 4, generator=gen), torch.randint(0, 3, (32,), generator=gen)
    )
    loader = DataLoader(data, batch_size=32 // ITERS_PER_EPOCH)
    return Runner(
        model=nn.Linear(4, 3),
        work_dir=str(work_dir),
        train_dataloader=loader,
        train_cfg={"by_epoch": True, "max_epochs": 2, "val_interval": 1},
        val_dataloader=loader,
        val_cfg={},
        val_evaluator={"type": "Accuracy"},
        optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.1}},
        default_hooks_set="none",
        custom_hooks=hooks,
    )


class SignalAt(Hook):
    """Sends this process SIGUSR1 at ``point`` of iteration ``at`` (1-based)."""

    priority = "LOWEST"

    def __init__(self, point: str, at: int) -> None:
        self.point, self.at = point, at
        self.idle_before: dict[str, list[str]] | None = None
        self.validated = False

    def before_train_iter(self, runner, batch_idx) -> None:
        if self.point == "step" and runner.iter + 1 == self.at:
            self.idle_before = runner.hooks.idle_table()
            os.kill(os.getpid(), signal.SIGUSR1)  # handled right away, inside this iteration

    def after_train_iter(self, runner, batch_idx) -> None:
        if self.point == "after_train_iter" and runner.iter + 1 == self.at:
            os.kill(os.getpid(), signal.SIGUSR1)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self.validated = True


def test_the_hook_sleeps_per_iteration_and_the_signal_stops_the_iteration_it_came_in(
    tmp_path: Path,
) -> None:
    sender = SignalAt("step", at=5)
    runner = _runner(tmp_path, [sender])
    with pytest.raises(TrainingPreempted) as stop:
        runner.train()
    assert sender.idle_before == {"PreemptionHook": ["after_train_iter"]}
    assert stop.value.signum == signal.SIGUSR1
    assert read_pointer(tmp_path) == tmp_path / "iter_5.pth"
    assert runner.iter == 4  # iteration 5 finished its hooks; the counter had not moved yet
    assert runner.hooks.idle_table() == {}  # awake again once training ended


def test_a_signal_during_an_epochs_last_hooks_stops_before_validating(tmp_path: Path) -> None:
    """Arriving after the sleeping hook's turn, the signal still stops the run before
    the validation pass that follows the epoch, with the epoch's position saved."""
    sender = SignalAt("after_train_iter", at=ITERS_PER_EPOCH)
    runner = _runner(tmp_path, [sender])
    with pytest.raises(TrainingPreempted, match="before validating"):
        runner.train()
    assert not sender.validated
    assert read_pointer(tmp_path) == tmp_path / f"iter_{ITERS_PER_EPOCH}.pth"
    assert runner.iter == ITERS_PER_EPOCH and runner.epoch == 1
