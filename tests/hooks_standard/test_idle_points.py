"""Standard hooks leave per-iteration points they have no use for in a run (Hook.idle_points)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runner_core.hooks import Hook


class SeesIdle(Hook):
    """Records, during training, which hooks are left out of which points."""

    priority = "LOWEST"

    def __init__(self) -> None:
        self.seen: list[dict[str, list[str]]] = []

    def after_train_epoch(self, runner: Any) -> None:
        self.seen.append(runner.hooks.idle_table())


def test_by_epoch_checkpoint_and_epoch_schedulers_skip_after_train_iter(make_runner: Any) -> None:
    seer = SeesIdle()
    runner = make_runner(
        param_scheduler=dict(type="MultiStepLR", milestones=[1], by_epoch=True),
        custom_hooks=[seer],
    )
    runner.train()
    idle = {
        "CheckpointHook": ["after_train_iter"],
        "ParamSchedulerHook": ["after_train_iter"],
        # woken by its signal
        "PreemptionGate": [
            "before_train_epoch",
            "before_train_iter",
            "before_val",
            "before_val_iter",
        ],
        "PreemptionHook": ["after_train_iter"],
    }
    assert seer.seen == [idle, idle]
    assert runner.hooks.idle_table() == {}  # after training, every point again
    assert runner.optim_wrapper.get_lr()["lr"] == [pytest.approx(0.01)]  # the epoch step ran
    assert sorted(p.name for p in Path(runner.work_dir).glob("epoch_*.pth")) == [
        "epoch_1.pth",
        "epoch_2.pth",
    ]


def test_iteration_checkpoints_and_schedulers_keep_after_train_iter(make_runner: Any) -> None:
    seer = SeesIdle()
    runner = make_runner(
        param_scheduler=dict(type="MultiStepLR", milestones=[4], by_epoch=False),
        default_hooks=dict(checkpoint=dict(by_epoch=False, interval=5)),
        custom_hooks=[seer],
    )
    runner.train()
    preemption_asleep = {
        "PreemptionGate": [
            "before_train_epoch",
            "before_train_iter",
            "before_val",
            "before_val_iter",
        ],
        "PreemptionHook": ["after_train_iter"],
    }
    assert seer.seen == [preemption_asleep, preemption_asleep]
    assert runner.optim_wrapper.get_lr()["lr"] == [pytest.approx(0.01)]  # stepped per iteration
    assert sorted(p.name for p in Path(runner.work_dir).glob("iter_*.pth")) == [
        "iter_10.pth",
        "iter_15.pth",
        "iter_16.pth",
        "iter_5.pth",
    ]


def test_async_checkpoints_keep_checking_their_writer_every_iteration(make_runner: Any) -> None:
    seer = SeesIdle()
    runner = make_runner(default_hooks=dict(checkpoint=dict(async_save=True)), custom_hooks=[seer])
    runner.train()
    assert all("CheckpointHook" not in seen for seen in seer.seen)


def test_a_run_that_fails_calls_every_point_again_afterwards(make_runner: Any) -> None:
    class Boom(Hook):
        def after_train_epoch(self, runner: Any) -> None:
            raise RuntimeError("boom")

    runner = make_runner(custom_hooks=[Boom()])
    with pytest.raises(RuntimeError, match="boom"):
        runner.train()
    assert runner.hooks.idle_table() == {}
