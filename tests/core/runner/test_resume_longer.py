"""Resuming into a longer run: a schedule without a configured end stretches with it.

MMEngine fills a scheduler's missing ``end`` with the run's length and then
loads every attribute back from the checkpoint, so a run resumed with more
epochs keeps the old end and its learning rate stays at the final value. Ours
keeps the progress from the checkpoint and the length from this run.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from digits import digits_cfg

from runner_core import Config, Runner
from runner_core.hooks import Hook


class LrRecorder(Hook):
    """The learning rate of each training iteration."""

    def __init__(self) -> None:
        self.lrs: list[float] = []

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        self.lrs.append(runner.optim_wrapper.param_groups[0]["lr"])


def _train(
    work_dir: str, epochs: int, scheduler: dict[str, Any], resume: bool, weights: dict | None = None
) -> LrRecorder:
    recorder = LrRecorder()
    cfg = digits_cfg(
        work_dir,
        train_cfg=dict(by_epoch=True, max_epochs=epochs),
        param_scheduler=[scheduler],
        resume=resume,
        val_dataloader=None,
        val_evaluator=None,
    )
    cfg["train_dataloader"]["batch_size"] = 720  # 2 iterations per epoch
    runner = Runner.from_cfg(Config(cfg))
    runner.register_hook(recorder)
    runner.train()
    if weights is not None:
        weights.update(runner.unwrapped_model.state_dict())
    return recorder


def test_resume_into_longer_run_stretches_schedule_without_end(tmp_path, capsys) -> None:
    cosine = dict(type="CosineAnnealingLR", by_epoch=True, eta_min=0.001)
    first = _train(str(tmp_path), 2, cosine, resume=False)
    capsys.readouterr()
    resumed = _train(str(tmp_path), 4, cosine, resume=True)
    # epochs 3 and 4 keep decaying towards eta_min; with the checkpoint's end (2) the
    # rate would stay at epoch 2's value for both
    epoch3, epoch4 = resumed.lrs[0], resumed.lrs[-1]
    # the step after epoch 2, which the old end cut off, is taken: no epoch at a stale rate
    assert first.lrs[-1] > epoch3 > epoch4 > 0.001
    out = capsys.readouterr().out
    assert "param_scheduler[0] (CosineAnnealingLR) has no configured end" in out
    assert "end 2 -> 4" in out


def test_configured_end_is_kept_from_checkpoint(tmp_path, capsys) -> None:
    cosine = dict(type="CosineAnnealingLR", by_epoch=True, eta_min=0.001, end=2)
    first = _train(str(tmp_path), 2, cosine, resume=False)
    capsys.readouterr()
    resumed = _train(str(tmp_path), 4, cosine, resume=True)
    # the configured schedule is over: the rate stays at its last value, as in MMEngine
    assert resumed.lrs == pytest.approx([first.lrs[-1]] * 4)
    assert "has no configured end" not in capsys.readouterr().out


def test_extending_a_finished_run_equals_the_longer_uninterrupted_run(tmp_path, capsys) -> None:
    # milestones count from the start, whatever the run's length: raising max_epochs and
    # resuming must give the 4-epoch run exactly (the lr drop after epoch 2 included)
    steps = dict(type="MultiStepLR", by_epoch=True, milestones=[2], gamma=0.1)
    uninterrupted: dict = {}
    reference = _train(str(tmp_path / "ref"), 4, steps, resume=False, weights=uninterrupted)
    _train(str(tmp_path / "run"), 2, steps, resume=False)
    capsys.readouterr()
    extended: dict = {}
    resumed = _train(str(tmp_path / "run"), 4, steps, resume=True, weights=extended)
    assert resumed.lrs == reference.lrs[4:]
    assert uninterrupted.keys() == extended.keys()
    for name, value in uninterrupted.items():
        assert torch.equal(value, extended[name]), name
    # its values do not follow the end, so there is nothing to warn about
    assert "has no configured end" not in capsys.readouterr().out
