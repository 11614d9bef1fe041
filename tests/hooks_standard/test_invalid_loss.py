"""A NaN loss stops the run with a clear error, and no saved checkpoint is harmed."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from runner_core import BaseModel
from runner_core.hooks import Hook, Priority
from runner_hooks_standard.invalid_loss import CheckInvalidLossHook, InvalidLossError


class TwoLosses(BaseModel):
    """``loss_reg`` turns NaN from the ``nan_at``-th training step on."""

    def __init__(self, nan_at: int) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 2)
        self.calls = 0
        self.nan_at = nan_at

    def forward(self, x: Any, y: Any = None, mode: str = "tensor") -> Any:
        out = self.lin(x)
        if mode == "loss":
            self.calls += 1
            scale = float("nan") if self.calls >= self.nan_at else 1e-3
            return {
                "loss_cls": nn.functional.cross_entropy(out, y),
                "loss_reg": out.pow(2).mean() * scale,
            }
        if mode == "predict":
            return {"pred": out, "gt": y}
        return out


class CheckpointFingerprints(Hook):
    priority = Priority.LOWEST  # after CheckpointHook saved

    def __init__(self) -> None:
        self.hashes: dict[str, str] = {}

    def after_train_epoch(self, runner: Any) -> None:
        for path in Path(runner.work_dir).glob("*.pth"):
            self.hashes[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()


def test_nan_loss_stops_with_the_iteration_and_term_and_keeps_checkpoints(
    make_runner: Any,
) -> None:
    prints = CheckpointFingerprints()
    runner = make_runner(model=TwoLosses(nan_at=12), custom_hooks=[prints])
    with pytest.raises(InvalidLossError) as info:
        runner.train()
    message = str(info.value)
    assert "iteration 12 (epoch 2, batch 4)" in message
    assert "'loss_reg' = nan" in message and "loss_cls" not in message.split("Common")[0]
    assert "epoch_1.pth" in message and "clip_grad" in message
    work = Path(runner.work_dir)
    assert sorted(p.name for p in work.glob("*.pth")) == ["epoch_1.pth"]
    digest = hashlib.sha256((work / "epoch_1.pth").read_bytes()).hexdigest()
    assert prints.hashes == {"epoch_1.pth": digest}
    from runner_core.checkpoint import load_checkpoint

    state = load_checkpoint(work / "epoch_1.pth")["state_dict"]
    assert all(torch.isfinite(v).all() for v in state.values())
    assert runner.iter == 11  # stopped before the NaN iteration counted


class FakeRunner:
    work_dir = Path("/nonexistent")
    epoch = 0

    def __init__(self) -> None:
        self.iter = 0


def test_interval_skips_iterations_but_checks_before_any_save() -> None:
    hook = CheckInvalidLossHook(interval=50)
    runner = FakeRunner()
    nan = {"loss": torch.tensor(float("nan"))}
    hook.after_train_iter(runner, batch_idx=0, outputs=nan)  # not a check iteration
    with pytest.raises(InvalidLossError, match="iteration 1 "):
        hook.before_save_checkpoint(runner)
    runner.iter = 49
    with pytest.raises(InvalidLossError, match="iteration 50 "):
        hook.after_train_iter(runner, batch_idx=49, outputs=nan)
    hook.after_train_iter(runner, batch_idx=49, outputs={"loss": torch.tensor(1.0)})
    hook.after_train_iter(runner, batch_idx=49, outputs={"acc": torch.tensor(float("inf"))})


def test_can_be_removed(make_runner: Any) -> None:
    runner = make_runner(
        model=TwoLosses(nan_at=3),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        default_hooks=dict(check_invalid_loss=None, checkpoint=None),
    )
    runner.train()
    assert runner.iter == 8
