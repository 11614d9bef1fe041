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
    work_dir: str,
    epochs: int,
    scheduler: dict[str, Any],
    resume: bool,
    weights: dict | None = None,
    batch_size: int = 720,  # 2 iterations per epoch (480: 3)
    **overrides: Any,
) -> LrRecorder:
    recorder = LrRecorder()
    cfg = digits_cfg(
        work_dir,
        train_cfg=dict(by_epoch=True, max_epochs=epochs),
        param_scheduler=[scheduler],
        resume=resume,
        val_dataloader=None,
        val_evaluator=None,
        **overrides,
    )
    cfg["train_dataloader"]["batch_size"] = batch_size
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


@pytest.mark.parametrize("convert", [False, True])
def test_extending_a_finished_run_equals_the_longer_uninterrupted_run(
    tmp_path, capsys, convert: bool
) -> None:
    # milestones count from the start, whatever the run's length: raising max_epochs and
    # resuming must give the 4-epoch run exactly (the lr drop after epoch 2 included)
    steps = dict(type="MultiStepLR", by_epoch=True, milestones=[2], gamma=0.1)
    if convert:  # counted in iterations of an unchanged length: the same
        steps["convert_to_iter_based"] = True
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
    out = capsys.readouterr().out
    assert "has no configured end" not in out
    assert "an epoch is now" not in out


@pytest.mark.parametrize(
    "scheduler",
    [
        dict(type="MultiStepLR", milestones=[1, 3], gamma=0.1),
        dict(type="StepLR", step_size=1, gamma=0.5),
    ],
)
def test_converted_schedule_resumed_with_another_epoch_length(
    tmp_path, capsys, scheduler: dict[str, Any]
) -> None:
    # epoch-based milestones run per iteration (convert_to_iter_based); resumed after epoch 1
    # with a smaller batch (an epoch of 3 iterations, not 2), the drop the checkpoint already
    # made at epoch 1 is not made again: the lr follows an uninterrupted run of that batch size
    converted = dict(scheduler, by_epoch=True, convert_to_iter_based=True)
    reference = _train(str(tmp_path / "ref"), 4, converted, resume=False, batch_size=480)
    _train(str(tmp_path / "run"), 4, converted, resume=False)
    capsys.readouterr()
    checkpoint = str(tmp_path / "run" / "epoch_1.pth")
    resumed = _train(
        str(tmp_path / "run"), 4, converted, resume=True, batch_size=480, load_from=checkpoint
    )
    assert resumed.lrs == pytest.approx(reference.lrs[3:])
    out = capsys.readouterr().out
    assert "an epoch is now 3 iterations (2 in" in out
