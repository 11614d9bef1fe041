"""Resuming with a config whose optimizer or schedulers no longer fit the checkpoint.

torch and MMEngine load such states anyway: a bare KeyError at the first step
(another optimizer type), or a scheduler silently driven by another's state
(a warm-up inserted before the saved one). Ours refuses before anything is
restored, naming the file, and leaves the file as it was.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import torch
from digits import digits_cfg

from runner_core import Config, Runner
from runner_core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint

MULTISTEP = dict(type="MultiStepLR", by_epoch=True, milestones=[3], gamma=0.1)


def _runner(work_dir: Path, epochs: int = 1, **overrides: Any) -> Runner:
    cfg = digits_cfg(
        str(work_dir),
        train_cfg=dict(by_epoch=True, max_epochs=epochs),
        val_dataloader=None,
        val_evaluator=None,
        **{"param_scheduler": [MULTISTEP], **overrides},
    )
    cfg["train_dataloader"]["batch_size"] = 720  # 2 iterations per epoch
    return Runner.from_cfg(Config(cfg))


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A checkpoint after one epoch of SGD with momentum and [MultiStepLR]."""
    work_dir = tmp_path_factory.mktemp("saved")
    _runner(work_dir).train()
    return work_dir / "epoch_1.pth"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _resume(tmp_path: Path, checkpoint: Path, epochs: int = 2, **overrides: Any) -> Runner:
    runner = _runner(tmp_path / "run", epochs, resume=True, load_from=str(checkpoint), **overrides)
    runner.train()
    return runner


@pytest.mark.parametrize(
    "schedulers, shown",
    [
        ([dict(type="LinearLR", start_factor=0.1, by_epoch=False, end=5), MULTISTEP], "LinearLR"),
        ([dict(type="CosineAnnealingLR", by_epoch=True, eta_min=0.0)], "CosineAnnealingLR"),
    ],
)
def test_scheduler_list_changed_is_refused(tmp_path, saved, schedulers, shown) -> None:
    before = _digest(saved)
    with pytest.raises(CheckpointError) as info:
        _resume(tmp_path, saved, param_scheduler=schedulers)
    message = str(info.value)
    assert str(saved) in message
    assert "saved for [MultiStepLR]" in message and shown in message
    assert "load_from=" in message
    assert _digest(saved) == before


def test_scheduler_type_changed_is_refused_without_recorded_types(tmp_path, saved) -> None:
    # MMEngine's checkpoints (and older ones) do not record the classes: the keys tell
    ckpt = load_checkpoint(saved)
    del ckpt["meta"]["param_scheduler_types"]
    bare = save_checkpoint(ckpt, tmp_path / "bare.pth")
    cosine = [dict(type="CosineAnnealingLR", by_epoch=True, eta_min=0.0)]
    with pytest.raises(CheckpointError, match=r"milestones.*CosineAnnealingLR"):
        _resume(tmp_path, bare, param_scheduler=cosine)


def test_same_scheduler_with_moved_milestones_resumes(tmp_path, saved) -> None:
    moved = [dict(MULTISTEP, milestones=[1])]
    runner = _resume(tmp_path, saved, param_scheduler=moved)
    assert runner.epoch == 2


def test_switching_a_scheduler_from_epochs_to_iterations_warns(tmp_path, saved, capsys) -> None:
    per_iter = [dict(type="MultiStepLR", by_epoch=False, milestones=[3], gamma=0.1)]
    _resume(tmp_path, saved, param_scheduler=per_iter)
    out = capsys.readouterr().out
    assert "param_scheduler[0] (MultiStepLR) counted epochs in" in out
    assert "(by_epoch=True) and counts iterations now (by_epoch=False)" in out


@pytest.mark.parametrize(
    "optim_wrapper, standard",
    [
        (dict(optimizer=dict(type="AdamW", lr=0.001)), KeyError),
        (dict(optimizer=dict(type="SGD", lr=0.1)), None),  # momentum=0: the same keys
        (
            dict(
                optimizer=dict(type="SGD", lr=0.1, momentum=0.9),
                paramwise_cfg=dict(custom_keys={"net.2": dict(lr_mult=0.1)}),
            ),
            ValueError,
        ),
    ],
)
def test_changed_optimizer_is_refused_naming_the_file(
    tmp_path, saved, optim_wrapper, standard
) -> None:
    before = _digest(saved)
    if standard is None:  # same type, other values: the checkpoint's win, as in MMEngine
        runner = _resume(tmp_path, saved, optim_wrapper=optim_wrapper)
        assert runner.optim_wrapper.param_groups[0]["momentum"] == 0.9
        return
    with pytest.raises(CheckpointError) as info:
        _resume(tmp_path, saved, optim_wrapper=optim_wrapper)
    assert isinstance(info.value, standard)  # what torch raises there, for except clauses
    message = str(info.value)
    assert str(saved) in message and "optim_wrapper.optimizer" in message
    assert "load_from=" in message
    assert _digest(saved) == before


def test_adamw_checkpoint_resumed_with_sgd_is_a_key_error(tmp_path) -> None:
    adamw = dict(optimizer=dict(type="AdamW", lr=0.001))
    _runner(tmp_path / "adamw", optim_wrapper=adamw).train()
    with pytest.raises(KeyError, match=r"\['betas', 'amsgrad'\] where SGD's have"):
        _resume(tmp_path, tmp_path / "adamw" / "epoch_1.pth")


def test_resized_layer_is_refused_before_the_first_step(tmp_path, saved) -> None:
    smaller = dict(type="DigitsMLPForTests", hidden=32)
    with pytest.raises(CheckpointError, match=r"'net\.0\.weight' has shape \(64, 64\)") as info:
        _resume(tmp_path, saved, model=smaller)
    assert isinstance(info.value, RuntimeError)  # as SGD's step raises it
    assert not list((tmp_path / "run").glob("epoch_*.pth"))


def test_an_empty_optimizer_entry_is_refused_naming_the_file_and_key(tmp_path, saved) -> None:
    """torch's load_state_dict failed with a bare KeyError: 'param_groups'."""
    ckpt = load_checkpoint(saved)
    ckpt["optimizer"] = {}
    empty = save_checkpoint(ckpt, tmp_path / "empty_optimizer.pth")
    with pytest.raises(CheckpointError) as info:
        _resume(tmp_path, empty)
    assert isinstance(info.value, KeyError)  # as torch's load raises
    message = str(info.value)
    assert (
        f"Cannot resume from {str(empty)!r}: its 'optimizer' entry (for "
        "optim_wrapper.optimizer, SGD) has no 'param_groups' (its keys: none, it is empty)"
    ) in message
    assert f"runner.resume({str(empty)!r}, resume_optimizer=False)" in message
    assert f"load_from={str(empty)!r} with resume=False" in message


def test_unchanged_config_resumes_with_the_checkpoints_state(tmp_path, saved) -> None:
    runner = _resume(tmp_path, saved)
    state = runner.optim_wrapper.optimizer.state
    assert all(torch.isfinite(s["momentum_buffer"]).all() for s in state.values())
    assert runner.epoch == 2 and runner.param_schedulers[0].last_step == 1  # end=2: stops at 1


def test_adam_run_with_a_momentum_scheduler_resumes_without_it(tmp_path) -> None:
    # a momentum scheduler mirrors betas[0] into an Adam group's 'momentum': not SGD's key
    adamw = dict(optimizer=dict(type="AdamW", lr=0.001))
    momentum = dict(type="MultiStepMomentum", by_epoch=True, milestones=[3], gamma=0.5)
    _runner(tmp_path / "adamw", optim_wrapper=adamw, param_scheduler=[MULTISTEP, momentum]).train()
    runner = _runner(tmp_path / "run", 2, optim_wrapper=adamw)
    runner.resume(tmp_path / "adamw" / "epoch_1.pth", resume_param_scheduler=False)
    runner.train()
    assert runner.epoch == 2


def test_adam_run_resumed_without_scheduler_state_takes_a_new_momentum_scheduler(tmp_path) -> None:
    """The groups loaded from a run without a momentum scheduler have no 'momentum' mirror of
    betas[0]; the new scheduler starts afresh on them (MMEngine: KeyError: 'momentum')."""
    adamw = dict(optimizer=dict(type="AdamW", lr=0.001, betas=(0.9, 0.999)))
    _runner(tmp_path / "adamw", optim_wrapper=adamw).train()
    momentum = dict(type="MultiStepMomentum", by_epoch=True, milestones=[1], gamma=0.5)
    runner = _runner(
        tmp_path / "run", 2, optim_wrapper=adamw, param_scheduler=[MULTISTEP, momentum]
    )
    runner.resume(tmp_path / "adamw" / "epoch_1.pth", resume_param_scheduler=False)
    runner.train()
    optimizer = runner.optim_wrapper.optimizer
    assert runner.epoch == 2
    assert optimizer.param_groups[0]["betas"] == (pytest.approx(0.45), 0.999)
    steps = {float(s["step"]) for s in optimizer.state.values()}
    assert steps == {4.0}  # the checkpoint's Adam state went on: 2 iterations + 2
