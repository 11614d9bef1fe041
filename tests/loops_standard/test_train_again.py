"""``train()`` called again on a Runner whose previous call failed mid-epoch."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from runner_core import Runner
from runner_core.hooks import Hook
from runner_core.model import ModuleAdapter


class FailOnce(Hook):
    def __init__(self, at_iter: int) -> None:
        self.at_iter, self.failed = at_iter, False

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch=None, outputs=None) -> None:
        if runner.iter == self.at_iter and not self.failed:
            self.failed = True
            raise RuntimeError("flaky")


def _runner(tmp_path, hook: Hook) -> Runner:
    x = torch.randn(16, 2, generator=torch.Generator().manual_seed(0))
    return Runner(
        model=ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        default_hooks=dict(checkpoint=None, logger=dict(interval=1, progress_bar=False)),
        custom_hooks=[hook],
    )


def _log(runner: Runner) -> str:
    for handler in runner.logger.handlers:
        handler.flush()
    return (runner.log_dir / f"{runner.timestamp}.log").read_text(encoding="utf-8")


def test_train_again_after_a_mid_epoch_failure_says_the_epoch_starts_over(tmp_path) -> None:
    """MMEngine (and we) start the epoch over, training its first batches twice, silently."""
    runner = _runner(tmp_path, FailOnce(at_iter=5))  # epoch 2, its second batch
    with pytest.raises(RuntimeError, match="flaky"):
        runner.train()
    assert "starts over" not in _log(runner)
    runner.train()
    assert (
        "train() again after a call that stopped in epoch 2 after 2 batch(es): the epoch "
        "starts over from its first batch" in _log(runner)
    )


class FailAtEpochEnd(Hook):
    def __init__(self) -> None:
        self.failed = False

    def after_train_epoch(self, runner: Any) -> None:
        if not self.failed:
            self.failed = True
            raise RuntimeError("disk full")


def test_train_again_after_an_epoch_end_failure_says_the_epoch_starts_over(tmp_path) -> None:
    """A failed after_train_epoch (a checkpoint save on a full disk) left the epoch to be
    trained again silently: its batches were all done, so no batch count was left."""
    runner = _runner(tmp_path, FailAtEpochEnd())
    with pytest.raises(RuntimeError, match="disk full"):
        runner.train()
    runner.train()
    assert (
        "train() again after a call that stopped at the end of epoch 1 (its "
        "after_train_epoch hooks): the epoch starts over" in _log(runner)
    )


def test_train_again_after_a_finished_run_says_nothing(tmp_path) -> None:
    runner = _runner(tmp_path, Hook())
    runner.train()
    runner.train()
    assert "starts over" not in _log(runner)
