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
    # the NaN of iteration 12 is caught, at the latest, before the epoch-2 checkpoint is written
    assert runner.iter <= 16


def test_a_checkpoint_of_an_earlier_run_is_not_called_this_runs(make_runner: Any) -> None:
    """A sweep trial reusing a work dir without resuming, stopped before its first save,
    was told the earlier trial's epoch_2.pth 'was saved before this and is intact'."""
    make_runner(train_cfg=dict(by_epoch=True, max_epochs=2)).train()
    runner = make_runner(
        model=TwoLosses(nan_at=3), default_hooks=dict(check_invalid_loss=dict(interval=1))
    )
    with pytest.raises(InvalidLossError) as info:
        runner.train()
    assert "This run saved no checkpoint: the newest in the work dir" in str(info.value)
    assert "epoch_2.pth, is an earlier run's" in str(info.value)
    # one that saves the same file name again: its own
    again = make_runner(model=TwoLosses(nan_at=12))
    with pytest.raises(InvalidLossError) as info:
        again.train()
    assert "epoch_1.pth, was saved before this and is intact" in str(info.value)


def test_a_custom_hook_of_the_class_replaces_the_default_mmengine_lacks(
    make_runner: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """mmdet's configs add CheckInvalidLossHook in custom_hooks: with our default beside it,
    two ran, and the second's on_exception logged the first's NaN again as a cause."""
    runner = make_runner(
        model=TwoLosses(nan_at=3), custom_hooks=[dict(type="CheckInvalidLossHook", interval=1)]
    )
    checks = [hook for hook in runner.hooks if isinstance(hook, CheckInvalidLossHook)]
    assert len(checks) == 1 and checks[0].interval == 1
    assert runner.hooks.role_of(checks[0]) is None
    with pytest.raises(InvalidLossError, match="iteration 3 ") as info:
        runner.train()
    assert not any("Before the run stopped" in n for n in getattr(info.value, "__notes__", []))
    both = make_runner(custom_hooks=[dict(type="CheckpointHook", interval=1)])
    assert sum(type(hook).__name__ == "CheckpointHook" for hook in both.hooks) == 2  # MMEngine's


class FakeRunner:
    work_dir = Path("/nonexistent")
    epoch = 0

    def __init__(self) -> None:
        self.iter = 0


def test_interval_checks_losses_together_but_before_any_save() -> None:
    hook = CheckInvalidLossHook(interval=50)
    runner = FakeRunner()
    nan = {"loss": torch.tensor(float("nan"))}
    ok = {"loss": torch.tensor(1.0)}
    hook.after_train_iter(runner, batch_idx=0, outputs=nan)  # not checked yet
    with pytest.raises(InvalidLossError, match="iteration 1 "):
        hook.before_save_checkpoint(runner, {})
    # 50 iterations, the 7th and 30th bad: one check, naming the first bad one
    for i in range(50):
        runner.iter = i
        out = nan if i in (6, 29) else ok
        if i < 49:
            hook.after_train_iter(runner, batch_idx=i, outputs=out)
        else:
            # the stop comes at the check, later than the bad iteration: both are named
            stop = r"^Training stopped after iteration 50, where the losses are checked; "
            first = r"the first non-finite one came at iteration 7 \(epoch 1, batch 7\)"
            with pytest.raises(InvalidLossError, match=stop + first):
                hook.after_train_iter(runner, batch_idx=i, outputs=out)
    for i in range(60):  # finite losses and non-loss terms never raise
        hook.after_train_iter(runner, batch_idx=i, outputs={"loss": torch.tensor(1.0)})
        hook.after_train_iter(runner, batch_idx=i, outputs={"acc": torch.tensor(float("inf"))})
    hook.after_train(runner)


def test_interval_one_stops_at_the_bad_iteration() -> None:
    hook = CheckInvalidLossHook(interval=1)
    runner = FakeRunner()
    runner.iter = 4
    with pytest.raises(InvalidLossError, match=r"^Training stopped at iteration 5 \("):
        hook.after_train_iter(runner, batch_idx=4, outputs={"loss": torch.tensor(float("inf"))})


def test_can_be_removed(make_runner: Any) -> None:
    runner = make_runner(
        model=TwoLosses(nan_at=3),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        default_hooks=dict(check_invalid_loss=None, checkpoint=None),
    )
    runner.train()
    assert runner.iter == 8


def test_pending_losses_are_checked_at_the_epoch_end_and_named_exactly() -> None:
    hook = CheckInvalidLossHook(interval=50)
    runner = FakeRunner()
    ok = {"loss": torch.tensor(1.0)}
    runner.epoch = 2
    for i in range(5):  # iterations 21..25 are batches 20..24 of the third epoch
        runner.iter = 20 + i
        out = {"loss": torch.tensor(float("inf"))} if i == 3 else ok
        hook.after_train_iter(runner, batch_idx=20 + i, outputs=out)
    with pytest.raises(InvalidLossError, match=r"iteration 24 \(epoch 3, batch 24\)"):
        hook.after_train_epoch(runner)
    hook.after_train(runner)  # nothing left pending


def test_iterations_without_a_loss_do_not_shift_the_named_iteration() -> None:
    hook = CheckInvalidLossHook(interval=50)
    runner = FakeRunner()
    runner.epoch = 0
    outputs = [
        {"loss": torch.tensor(1.0)},
        None,
        {"acc": 0.5},
        {"loss": torch.tensor(float("nan"))},
    ]
    for i, out in enumerate(outputs):  # iterations 1..4; the second and third report no loss
        runner.iter = i
        hook.after_train_iter(runner, batch_idx=i, outputs=out)
    with pytest.raises(InvalidLossError, match=r"iteration 4 \(epoch 1, batch 4\)"):
        hook.after_train_epoch(runner)


def test_huge_finite_losses_pass_and_a_vector_loss_is_checked_whole() -> None:
    hook = CheckInvalidLossHook(interval=4)
    runner = FakeRunner()
    for i in range(4):  # the window's sum overflows to inf; every loss is finite
        runner.iter = i
        hook.after_train_iter(
            runner, batch_idx=i, outputs={"loss": torch.tensor(1e308, dtype=torch.float64)}
        )
    outputs = [{"loss": torch.tensor([1.0, 2.0])}, {"loss": torch.tensor([1.0, float("nan")])}]
    for i, out in enumerate(outputs):  # iterations 5 and 6; the second has a NaN element
        runner.iter = 4 + i
        hook.after_train_iter(runner, batch_idx=4 + i, outputs=out)
    with pytest.raises(InvalidLossError, match="iteration 6 "):
        hook.after_train(runner)


def test_the_named_iteration_and_term_hold_whatever_each_step_returned() -> None:
    hook = CheckInvalidLossHook(interval=50)
    runner = FakeRunner()
    nan = float("nan")
    steps: list[Any] = [
        {"loss": torch.tensor(1.0)},  # the usual outputs: the hook keeps the loss alone
        torch.tensor(2.0),  # a bare tensor
        {"loss": torch.tensor(3.0), "acc": torch.tensor(0.5)},
        {"loss": torch.tensor(nan)},
    ]
    for i, out in enumerate(steps):
        runner.iter = i
        hook.after_train_iter(runner, batch_idx=i, outputs=out)
    with pytest.raises(InvalidLossError, match=r"iteration 4 .*loss term 'loss' = nan"):
        hook.after_train(runner)
    runner.iter = 4
    hook.after_train_iter(runner, batch_idx=4, outputs=torch.tensor(nan))
    with pytest.raises(InvalidLossError, match=r"iteration 5 .*loss = nan"):
        hook.after_train(runner)


class NanFrom(nn.Module):
    """A plain module (its step returns ``{'loss': ...}``) whose output is NaN at step ``nan_at``."""

    def __init__(self, nan_at: int) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 2)
        self.calls = 0
        self.nan_at = nan_at

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += self.training
        out = self.lin(x)
        return out * float("nan") if self.calls == self.nan_at else out


def test_with_the_line_on_the_same_iterations_each_loss_is_read_once(
    make_runner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check reads the losses through the loss history; the log line finds them read.

    A CPU scalar is read with ``item()``; GPU scalars are stacked and read together with
    one ``tolist()`` (one device wait): each tensor in such a stack counts as read."""
    reads: list[torch.Tensor] = []  # held, so that no two reads share an id
    stacks: dict[int, tuple[torch.Tensor, list[torch.Tensor]]] = {}
    item, tolist, stack = torch.Tensor.item, torch.Tensor.tolist, torch.stack

    def counted(self: torch.Tensor) -> Any:
        reads.append(self)
        return item(self)

    def stacked(tensors: Any, *args: Any, **kwargs: Any) -> torch.Tensor:
        out = stack(tensors, *args, **kwargs)
        stacks[id(out)] = (out, list(tensors))
        return out

    def counted_together(self: torch.Tensor) -> Any:
        held = stacks.get(id(self))
        reads.extend(held[1] if held is not None and held[0] is self else [self])
        return tolist(self)

    monkeypatch.setattr(torch.Tensor, "item", counted)
    monkeypatch.setattr(torch.Tensor, "tolist", counted_together)
    monkeypatch.setattr(torch, "stack", stacked)
    runner = make_runner(
        model=NanFrom(nan_at=7),
        default_hooks=dict(
            logger=dict(interval=4), check_invalid_loss=dict(interval=4), checkpoint=None
        ),
    )
    with pytest.raises(InvalidLossError, match=r"iteration 7 \(epoch 1, batch 7\)"):
        runner.train()
    assert len(reads) >= 4  # the losses were read ...
    assert len({id(t) for t in reads}) == len(reads)  # ... each once, for both hooks
    history = runner.message_hub.get_scalar("train/loss")
    assert history.current() != history.current()  # the NaN is in the history as read


def test_a_nan_beside_a_models_own_loss_term_is_found_at_its_iteration() -> None:
    # the model returned {'loss': ..., 'loss_aux': ...}: 'loss' is its own term (logged as
    # such, as in MMEngine), so the guard looks at every loss term
    hook = CheckInvalidLossHook(interval=3)
    runner = FakeRunner()
    good = {"loss": torch.tensor(1.0), "loss_aux": torch.tensor(0.5)}
    bad = {"loss": torch.tensor(1.0), "loss_aux": torch.tensor(float("nan"))}
    with pytest.raises(InvalidLossError, match="iteration 2 "):
        for i, outputs in enumerate([good, bad, good]):
            runner.iter = i
            hook.after_train_iter(runner, batch_idx=i, outputs=outputs)


def test_a_custom_hook_of_the_same_name_or_a_subclass_replaces_the_default(
    make_runner: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """MMEngine's hook tutorial writes its own CheckInvalidLossHook (checking every 50
    iterations) and MMEngine runs it alone; beside our default, the default stopped a run
    the tutorial's hook lets go on."""

    class Tutorials(Hook):  # the tutorial's class, not ours
        def __init__(self, interval: int = 50) -> None:
            self.interval = interval

    Tutorials.__name__ = Tutorials.__qualname__ = "CheckInvalidLossHook"

    class Stricter(CheckInvalidLossHook):
        pass

    for given in (Tutorials(interval=50), Stricter(interval=1)):
        runner = make_runner(model=TwoLosses(nan_at=3), custom_hooks=[given])
        checks = [h for h in runner.hooks if isinstance(h, (CheckInvalidLossHook, Tutorials))]
        assert checks == [given]
        said = capsys.readouterr().out
        named = f"{type(given).__name__}, which replaces the default hook 'check_invalid_loss'"
        assert named in said
        if isinstance(given, Tutorials):
            runner.train()  # the tutorial's hook checks nothing: it goes on, as in MMEngine
        else:
            with pytest.raises(InvalidLossError, match="iteration 3 "):
                runner.train()
