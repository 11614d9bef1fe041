"""EMAHook: the average matches a hand computation, stands in for validation, and is checkpointed."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from runner_core import Runner
from runner_core.errors import HookError
from runner_core.evaluator import BaseMetric
from runner_core.hooks import Hook, Priority
from runner_hooks_standard.ema import EMAHook, ExponentialMovingAverage, StochasticWeightAverage


class Data(torch.utils.data.Dataset):
    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"inputs": torch.tensor([float(i), 1.0]), "labels": torch.tensor(i % 2)}


class Watch(Hook):
    """Records the training weights after each iteration and the weights seen by validation."""

    priority = Priority.LOW  # after EMAHook (NORMAL)

    def __init__(self) -> None:
        self.train_weights: list[torch.Tensor] = []
        self.val_weights: list[torch.Tensor] = []
        self.after_val_weights: list[torch.Tensor] = []

    def after_train_iter(self, runner: Any) -> None:
        self.train_weights.append(runner.model.module.weight.detach().clone())

    def before_val_iter(self, runner: Any) -> None:
        self.val_weights.append(runner.model.module.weight.detach().clone())

    def after_val(self, runner: Any) -> None:
        self.after_val_weights.append(runner.model.module.weight.detach().clone())


class Nothing(BaseMetric):
    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.append(0)

    def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
        return {"acc": 0.0}


def run(tmp_path: Path, extra_hooks: list[Hook] = (), **ema: Any) -> tuple[Runner, Watch, EMAHook]:
    torch.manual_seed(0)
    watch, hook = Watch(), EMAHook(**ema)
    runner = Runner(
        model=nn.Linear(2, 2),
        work_dir=tmp_path,
        train_dataloader=dict(dataset=Data(), batch_size=2),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        val_dataloader=dict(dataset=Data(), batch_size=8),
        val_cfg=dict(),
        val_evaluator=Nothing(),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.5)),
        default_hooks_set="none",
        default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=1)),
        custom_hooks=[hook, watch, *extra_hooks],
        randomness=dict(seed=0),
        visualizer=False,
        log_level="WARNING",
    )
    runner.train()
    return runner, watch, hook


def hand_ema(weights: list[torch.Tensor], momentum: float, begin_iter: int) -> list[torch.Tensor]:
    """ema = w until averaging starts (with the begin_iter-th iteration, MMEngine's
    counting); then the first step copies, later ones blend."""
    out, ema, started = [], None, False
    for i, w in enumerate(weights, start=1):
        if i < begin_iter:
            ema = w.double()
        elif not started:
            ema, started = w.double(), True
        else:
            ema = (1 - momentum) * ema + momentum * w.double()
        out.append(ema)
    return out


@pytest.mark.parametrize("begin_iter", [0, 3])
def test_average_matches_hand_computation(tmp_path: Path, begin_iter: int) -> None:
    runner, watch, hook = run(tmp_path, momentum=0.25, begin_iter=begin_iter)
    expected = hand_ema(watch.train_weights, 0.25, begin_iter)
    got = hook.ema_model.module.module.weight.detach().double()
    torch.testing.assert_close(got, expected[-1], rtol=0, atol=1e-6)
    assert int(hook.ema_model.steps) == 8 - max(begin_iter - 1, 0)
    # validation after epoch 1 (4 iterations) saw the average, then training weights came back
    torch.testing.assert_close(watch.val_weights[0].double(), expected[3], rtol=0, atol=1e-6)
    assert torch.equal(watch.after_val_weights[0], watch.train_weights[3])


def test_checkpoint_layout_is_mmengines(tmp_path: Path) -> None:
    runner, watch, hook = run(tmp_path, momentum=0.25)
    ckpt = torch.load(tmp_path / "epoch_2.pth", weights_only=True)
    # state_dict holds the average (what load_from should test), ema_state_dict the training
    # weights; both on the CPU, wherever the model ran
    average = hook.ema_model.module.module.weight.cpu()
    assert torch.equal(ckpt["state_dict"]["module.weight"], average)
    assert torch.equal(
        ckpt["ema_state_dict"]["module.module.weight"], watch.train_weights[-1].cpu()
    )
    assert int(ckpt["ema_state_dict"]["steps"]) == 8


class SaveDuringValidation(Hook):
    """A hook that saves while validation runs, as a best-checkpoint hook of one's own does."""

    priority = Priority.ABOVE_NORMAL  # before EMAHook puts the training weights back

    def after_val_epoch(self, runner: Any, metrics: Any = None) -> None:
        if runner.epoch == 1:
            runner.save_checkpoint(runner.work_dir, "in_val.pth")


def test_a_save_during_validation_keeps_the_layout(tmp_path: Path) -> None:
    """While validating, the model holds the average and the average model the training
    weights: saving then must not swap them back into the wrong places."""
    saver = SaveDuringValidation()
    runner, watch, hook = run(tmp_path, momentum=0.25, extra_hooks=[saver])
    ckpt = torch.load(tmp_path / "in_val.pth", weights_only=True)
    average = hand_ema(watch.train_weights, 0.25, 0)[3].float()
    torch.testing.assert_close(ckpt["state_dict"]["module.weight"], average, rtol=0, atol=1e-6)
    assert torch.equal(ckpt["ema_state_dict"]["module.module.weight"], watch.train_weights[3])


def test_begin_epoch_equal_to_max_epochs_averages_the_last_epoch(tmp_path: Path) -> None:
    """begin_epoch counts from 1, as MMEngine's (which allows it up to max_epochs)."""
    _, watch, hook = run(tmp_path, momentum=0.25, begin_epoch=2)
    expected = hand_ema(watch.train_weights, 0.25, 5)  # epoch 2 starts at iteration 5
    got = hook.ema_model.module.module.weight.detach().double()
    torch.testing.assert_close(got, expected[-1], rtol=0, atol=1e-6)
    with pytest.raises(HookError, match="larger than max_epochs") as err:
        run(tmp_path / "late", begin_epoch=3)
    assert isinstance(err.value, AssertionError)  # MMEngine asserts


def test_interval_and_bad_arguments(tmp_path: Path) -> None:
    _, watch, hook = run(tmp_path, momentum=0.5, interval=2)
    # steps 0 copies; blends happen at steps 2, 4, 6 (iterations 3, 5, 7)
    w = [x.double() for x in watch.train_weights]
    ema = w[0]
    for i in (2, 4, 6):
        ema = 0.5 * ema + 0.5 * w[i]
    torch.testing.assert_close(hook.ema_model.module.module.weight.double(), ema, rtol=0, atol=1e-6)
    with pytest.raises(HookError, match="momentum must be in"):
        EMAHook(momentum=1.5)
    with pytest.raises(HookError, match="Did you mean 'ExponentialMovingAverage'"):
        EMAHook(ema_type="ExponentialMovingAverag")


@pytest.mark.parametrize(
    ("kwargs", "named", "hint"),
    [
        (dict(momentun=0.1), "ExponentialMovingAverage", "momentum"),
        (dict(ema_type="MomentumAnnealingEMA", gama=10), "MomentumAnnealingEMA", "gamma"),
    ],
)
def test_an_argument_typo_names_the_averaged_model_and_suggests(kwargs, named, hint) -> None:
    from runner_core.errors import BuildError
    from runner_core.registry import HOOKS

    key = "custom_hooks[0]"
    bad = next(k for k in kwargs if k != "ema_type")
    with pytest.raises(BuildError) as info:
        HOOKS.build(dict(type="EMAHook", **kwargs), _key_path=key)
    message = str(info.value)
    assert isinstance(info.value, TypeError)  # MMEngine: the averaged model's TypeError
    assert f"EMAHook(ema_type={named!r})" in message
    assert f"{named} got an unexpected argument {bad!r} (at '{key}.{bad}')" in message
    assert f"Did you mean {hint!r}?" in message


def test_an_update_never_reads_the_device() -> None:
    """The update count is kept on the host too: no device sync per iteration.

    A model on the "meta" device stands in for a GPU: any read of a tensor's
    value (``int(steps)``, ``.item()``) raises there.
    """
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3)).to("meta")
    ema = ExponentialMovingAverage(model, momentum=0.5).to("meta")
    for _ in range(3):
        ema.update_parameters(model)
    ema.follow(model)
    assert ema.steps.device.type == "meta"


def test_resumed_count_drives_the_next_update() -> None:
    """After load_state_dict the loaded ``steps`` decides the next weight (SWA: 1/(steps+1))."""
    model = nn.Linear(2, 1, bias=False)
    ema = StochasticWeightAverage(model)
    state = ema.state_dict()
    state["module.weight"] = torch.zeros(1, 2)
    state["steps"] = torch.tensor(3)
    ema.load_state_dict(state)
    with torch.no_grad():
        model.weight.fill_(8.0)
    ema.update_parameters(model)
    assert torch.equal(ema.module.weight, torch.full((1, 2), 2.0))  # 0 + (8 - 0) / 4
    assert int(ema.steps) == 4


def test_follow_reads_each_model_once() -> None:
    """Before averaging starts the average copies the model: one state_dict per model."""
    model = nn.Sequential(*(nn.Linear(2, 2) for _ in range(20)))
    ema = ExponentialMovingAverage(model)
    calls = []
    real = model.state_dict

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    model.state_dict = counting  # type: ignore[method-assign]
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    ema.follow(model)
    assert len(calls) == 1
    for avg, src in zip(ema.module.parameters(), model.parameters()):
        assert torch.equal(avg, src)


def test_subclasses_change_the_rule_by_weight_or_by_blend() -> None:
    model = nn.Linear(1, 1, bias=False)

    class Half(ExponentialMovingAverage):
        def weight(self, steps: int) -> float:
            return 0.5

    class Max(ExponentialMovingAverage):
        def blend(self, averaged: torch.Tensor, source: torch.Tensor, steps: int) -> None:
            torch.maximum(averaged, source, out=averaged)

    for cls, expected in ((Half, 3.0), (Max, 4.0)):
        ema = cls(model)
        with torch.no_grad():
            model.weight.fill_(2.0)
            ema.update_parameters(model)  # the first update copies
            model.weight.fill_(4.0)
            ema.update_parameters(model)
        assert float(ema.module.weight) == expected, cls.__name__


def test_ema_type_names_an_averaged_model_registered_in_models() -> None:
    from runner_core.registry import MODELS

    class TEMA(ExponentialMovingAverage):
        pass

    MODELS.register_module(name="TEMA", module=TEMA)
    try:
        assert EMAHook(ema_type="TEMA").ema_cls is TEMA
        assert MODELS.get("StochasticWeightAverage") is StochasticWeightAverage
    finally:
        MODELS.module_dict.pop("TEMA")


def test_builtin_ema_types_resolve_without_their_entry_points(monkeypatch) -> None:
    """An install whose metadata predates the runner.models entry points still knows them."""
    from runner_core.registry import MODELS

    monkeypatch.setattr(MODELS, "get", lambda key, default=None: default)
    assert EMAHook(ema_type="StochasticWeightAverage").ema_cls is StochasticWeightAverage


def test_mmengine_names_for_subclasses(tmp_path: Path) -> None:
    """mmpretrain's EMAHook subclass reads src_model and calls MMEngine's swap methods."""
    runner, watch, hook = run(tmp_path, momentum=0.25)
    assert hook.src_model is runner.unwrapped_model
    model_weight = hook.src_model.module.weight.detach().clone()
    average = hook.ema_model.module.module.weight.detach().clone()
    hook._swap_ema_parameters()
    assert torch.equal(hook.src_model.module.weight, average)
    hook._swap_ema_parameters()
    assert torch.equal(hook.src_model.module.weight, model_weight)
    ckpt = torch.load(tmp_path / "epoch_2.pth", weights_only=True)
    hook._swap_ema_state_dict(ckpt)  # back to training weights in state_dict (CPU tensors)
    assert torch.equal(ckpt["state_dict"]["module.weight"], watch.train_weights[-1].cpu())
    assert torch.equal(ckpt["ema_state_dict"]["module.module.weight"], average.cpu())


def _resume_log(work_dir: Path, hooks: list[Hook]) -> tuple[Runner, str]:
    """Resume the run in ``work_dir`` for one more epoch with ``hooks``; the run's log."""
    runner = Runner(
        model=nn.Linear(2, 2),
        work_dir=work_dir,
        train_dataloader=dict(dataset=Data(), batch_size=2),
        train_cfg=dict(by_epoch=True, max_epochs=3),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.5)),
        default_hooks_set="none",
        default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=1)),
        custom_hooks=hooks,
        randomness=dict(seed=0),
        visualizer=False,
        log_level="WARNING",
        resume=True,
    )
    runner.train()
    for handler in runner.logger.handlers:
        handler.flush()
    return runner, (runner.log_dir / f"{runner.timestamp}.log").read_text(encoding="utf-8")


def test_resuming_ema_state_without_an_ema_hook_warns(tmp_path: Path) -> None:
    """As in MMEngine the run goes on from the averaged weights (what state_dict holds);
    the warning says so, naming the checkpoint."""
    _, watch, hook = run(tmp_path, momentum=0.25)
    average = hook.ema_model.module.module.weight.detach().clone()

    class First(Hook):
        priority = Priority.VERY_HIGH

        def before_train(self, runner: Any) -> None:
            self.weight = runner.model.module.weight.detach().clone()

    copy = tmp_path.parent / f"{tmp_path.name}-copy"
    shutil.copytree(tmp_path, copy)
    first = First()
    _, log = _resume_log(tmp_path, [first])
    assert torch.equal(first.weight, average)
    (line,) = [line for line in log.splitlines() if "holds EMA state" in line]
    assert str(tmp_path / "epoch_2.pth") in line and "averaged ones" in line
    # with the hook configured, it takes the state: no warning
    runner, log = _resume_log(copy, [EMAHook(momentum=0.25)])
    assert runner.iter == 12 and "holds EMA state" not in log


def test_resuming_into_a_resized_model_names_the_file_key_and_shapes(tmp_path: Path) -> None:
    """The average was loaded with torch's bare 'size mismatch for ExponentialMovingAverage'
    before the runner's own checks could name the file (hooks see the checkpoint first)."""
    from runner_core.checkpoint import CheckpointError

    run(tmp_path / "a", momentum=0.25)  # SGD without momentum: no optimizer state to check
    saved = tmp_path / "a" / "epoch_2.pth"
    runner = Runner(
        model=nn.Linear(2, 3),  # a layer resized since the save
        work_dir=tmp_path / "b",
        train_dataloader=dict(dataset=Data(), batch_size=2),
        train_cfg=dict(by_epoch=True, max_epochs=3),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.5)),
        default_hooks_set="none",
        custom_hooks=[EMAHook(momentum=0.25)],
        visualizer=False,
        log_level="WARNING",
        resume=str(saved),
    )
    with pytest.raises(CheckpointError) as info:
        runner.train()
    message = str(info.value)
    assert f"Cannot resume from {str(saved)!r}: its EMA state 'module.module.weight'" in message
    assert "has shape (2, 2), EMAHook's averaged model has (3, 2)" in message
    assert f"load_from={str(saved)!r} and resume=False" in message
    assert runner.iter == 0


def test_building_the_hook_draws_nothing_from_the_seeded_stream() -> None:
    """With the same seed, a model built after EMAHook starts from the same weights as one
    built without it (as in MMEngine): comparisons with and without EMA stay fair."""
    from runner_hooks_standard.ema import EMAHook

    torch.manual_seed(0)
    before = torch.get_rng_state()
    EMAHook(momentum=0.01)
    assert torch.equal(torch.get_rng_state(), before)


def test_weights_loaded_before_the_run_start_the_average(tmp_path: Path) -> None:
    run(tmp_path / "a", momentum=0.25)
    checkpoint = tmp_path / "a" / "epoch_2.pth"
    loaded = torch.load(checkpoint, weights_only=True)["state_dict"]["module.weight"]
    torch.manual_seed(1)
    hook = EMAHook(momentum=0.25)
    runner = Runner(
        model=nn.Linear(2, 2),
        work_dir=tmp_path / "b",
        train_dataloader=dict(dataset=Data(), batch_size=2),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.0)),  # the weights stay as loaded
        default_hooks_set="none",
        custom_hooks=[hook],
        log_level="WARNING",
    )
    runner.load_checkpoint(checkpoint)  # before any run: the hook has no average yet
    runner.train()
    assert torch.equal(hook.ema_model.module.module.weight.cpu(), loaded)


def test_a_point_before_before_run_says_what_to_call_first(tmp_path: Path) -> None:
    runner = Runner(model=nn.Linear(2, 2), work_dir=str(tmp_path))
    with pytest.raises(AssertionError, match=r"call hook.before_run\(runner\)"):
        EMAHook().after_train_iter(runner, 0)
