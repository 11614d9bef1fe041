"""Custom hooks get their state back on resume, under keys that do not depend on the other hooks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from runner_core import Runner
from runner_core.checkpoint import load_checkpoint, save_checkpoint
from runner_core.hooks import Hook
from runner_core.model import ModuleAdapter


class Counting(Hook):
    """Counts the training iterations it saw, across resumes."""

    def __init__(self, start: int = 0) -> None:
        self.seen = start

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        self.seen += 1

    def state_dict(self) -> dict[str, Any]:
        return {"seen": self.seen}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.seen = state["seen"]


def _runner(work_dir: Path, epochs: int, hooks: list[Hook], **kwargs: Any) -> Runner:
    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(0))
    return Runner(
        model=ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=epochs),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        custom_hooks=hooks,
        **kwargs,
    )


def test_two_hooks_of_one_class_are_stored_by_class_and_ordinal(tmp_path: Path) -> None:
    _runner(tmp_path, 1, [Counting(), Counting(start=100)]).train()
    states = load_checkpoint(str(tmp_path / "epoch_1.pth"))["hooks"]
    assert states["Counting"] == {"seen": 2} and states["Counting[2]"] == {"seen": 102}


def test_resume_with_a_default_hook_removed_restores_custom_state(tmp_path: Path) -> None:
    first = Counting()
    _runner(tmp_path, 1, [first]).train()
    assert first.seen == 2
    # the timer sits before the custom hook: removing it used to shift the hook's key
    again = Counting()
    _runner(tmp_path, 2, [again], resume=True, default_hooks=dict(timer=None)).train()
    assert again.seen == 4


def test_resume_with_other_default_set_restores_custom_state(tmp_path: Path) -> None:
    _runner(tmp_path, 1, [Counting()]).train()
    again = Counting()
    _runner(tmp_path, 2, [again], resume=True, default_hooks_set="none").train()
    assert again.seen == 4


def test_checkpoints_keyed_by_global_index_still_resume(tmp_path: Path) -> None:
    _runner(tmp_path, 1, [Counting(), Counting(start=100)]).train()
    path = str(tmp_path / "epoch_1.pth")
    ckpt = load_checkpoint(path)
    # the scheme of earlier versions: class name and index among all hooks
    ckpt["hooks"] = {
        **{k: v for k, v in ckpt["hooks"].items() if not k.startswith("Counting")},
        "Counting#9": {"seen": 102},
        "Counting#8": {"seen": 2},
    }
    save_checkpoint(ckpt, path)
    a, b = Counting(), Counting()
    _runner(tmp_path, 2, [a, b], resume=True).train()
    assert (a.seen, b.seen) == (4, 104)


def test_state_no_hook_claims_is_reported(tmp_path: Path, capsys: Any) -> None:
    _runner(tmp_path, 1, [Counting()]).train()
    capsys.readouterr()
    _runner(tmp_path, 2, [], resume=True).train()
    out = capsys.readouterr().out
    assert "holds the state of hooks this run does not have: Counting" in out
    assert "epoch_1.pth" in out


def test_a_role_named_like_a_custom_hooks_class_keeps_both_states(tmp_path: Path) -> None:
    # a plugin's default set may name its roles freely: both states were saved as 'Counting'
    def run(epochs: int, **kwargs: Any) -> tuple[Counting, Counting]:
        role, custom = Counting(), Counting(start=1000)
        _runner(tmp_path, epochs, [custom], default_hooks=dict(Counting=role), **kwargs).train()
        return role, custom

    run(1)
    states = load_checkpoint(str(tmp_path / "epoch_1.pth"))["hooks"]
    assert states["Counting"] == {"seen": 2} and states["Counting[1]"] == {"seen": 1002}
    role, custom = run(2, resume=True)
    assert (role.seen, custom.seen) == (4, 1004)


def test_a_hook_moved_between_default_and_custom_hooks_keeps_its_state(
    tmp_path: Path, capsys: Any
) -> None:
    # its key changes (role 'counter' <-> class name): the class written in meta finds it
    first = Counting()
    _runner(tmp_path, 1, [], default_hooks=dict(counter=first)).train()
    written = load_checkpoint(str(tmp_path / "epoch_1.pth"))["meta"]["hook_types"]
    assert written["counter"] == {"class": "Counting", "role": True}
    capsys.readouterr()
    moved = Counting()
    _runner(tmp_path, 2, [moved], resume=True).train()
    assert moved.seen == 4
    assert "does not have" not in capsys.readouterr().out


def test_a_role_removed_leaves_its_state_to_no_custom_hook_of_its_name(
    tmp_path: Path, capsys: Any
) -> None:
    # saved: role 'Counting' and custom 'Counting[1]'; resumed without the role, the custom
    # hook's key is 'Counting' again: it must take its own state, not the role's
    role, custom = Counting(), Counting(start=1000)
    _runner(tmp_path, 1, [custom], default_hooks=dict(Counting=role)).train()
    capsys.readouterr()
    again = Counting()
    _runner(tmp_path, 2, [again], resume=True).train()
    assert again.seen == 1004
    assert "does not have: Counting." in capsys.readouterr().out


class NotADict(Counting):
    def state_dict(self) -> Any:  # a user's mistake: the count itself
        return self.seen


def test_a_state_that_is_no_dict_is_left_out_with_a_warning_and_resume_works(
    tmp_path: Path,
) -> None:
    """Saved, an int state made resume refuse the run's own checkpoint as 'edited, or
    written by other code'; it is left out at save time, naming the hook."""
    with pytest.warns(UserWarning) as record:
        _runner(tmp_path, 1, [NotADict(), Counting()]).train()
    (message,) = {str(w.message) for w in record if "state_dict()" in str(w.message)}
    assert message.startswith(
        "NotADict.state_dict() returned int 2, not a dict: hook state 'NotADict' is not saved"
    )
    assert "state_dict must return a dict" in message
    states = load_checkpoint(str(tmp_path / "epoch_1.pth"))["hooks"]
    assert "NotADict" not in states and states["Counting"] == {"seen": 2}
    again = Counting()
    with pytest.warns(UserWarning, match="NotADict.state_dict"):
        _runner(tmp_path, 2, [NotADict(), again], resume=True).train()
    assert again.seen == 4


class NoState(Counting):
    def state_dict(self) -> Any:  # only `pass`: nothing to keep, nothing to warn about
        return None


def test_a_state_dict_returning_none_is_an_empty_state_without_a_warning(
    tmp_path: Path,
) -> None:
    import warnings

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        _runner(tmp_path, 1, [NoState()]).train()
    assert not [w for w in record if "state_dict()" in str(w.message)]
    assert "NoState" not in load_checkpoint(str(tmp_path / "epoch_1.pth"))["hooks"]
