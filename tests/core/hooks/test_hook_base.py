"""``Hook`` as MMEngine code expects it, and ``runner.hooks`` as a list of hooks."""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import pytest
from digits import digits_cfg

from runner_core import Config, Runner
from runner_core.hooks import Hook, HookManager, get_priority, specs
from runner_core.hooks.hook import EXTRA_STAGES, STAGES
from runner_core.registry import HOOKS


def test_every_hook_point_is_a_no_op_with_mmengine_positional_signature() -> None:
    hook = Hook()
    hook.before_run(None)  # type: ignore[arg-type]
    hook.after_train_iter(None, 3, {"x": 1}, {"loss": 0})  # type: ignore[arg-type]
    hook.after_val_epoch(None, {"acc": 1.0})  # type: ignore[arg-type]
    hook.before_save_checkpoint(None, {})  # type: ignore[arg-type]
    assert set(Hook.stages) == set(STAGES) and len(STAGES) == 22
    assert Hook().get_triggered_stages() == []


def test_get_triggered_stages_lists_overridden_points_and_helpers_in_run_order() -> None:
    class Both(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            pass

        def before_run(self, runner):
            pass

    class PerMode(Hook):
        def _after_iter(self, runner, batch_idx, data_batch=None, outputs=None, mode="train"):
            pass

    assert Both().get_triggered_stages() == ["before_run", "after_train_iter"]
    assert PerMode().get_triggered_stages() == [
        "after_train_iter",
        "after_val_iter",
        "after_test_iter",
    ]


def test_super_call_of_a_hook_point_works_as_in_mmengine() -> None:
    seen: list[Any] = []

    class Chained(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            super().after_train_iter(runner, batch_idx, data_batch, outputs)
            seen.append(batch_idx)

    manager = HookManager()
    manager.register(Chained())
    manager.points.after_train_iter("R", 4, None, None)
    manager.call("after_train_iter", {"runner": "R", "batch_idx": 5})
    assert seen == [4, 5]


def test_mode_generic_helpers_run_at_train_val_and_test_points() -> None:
    seen: list[tuple[str, int]] = []

    class PerMode(Hook):
        def _after_iter(self, runner, batch_idx, data_batch=None, outputs=None, mode="train"):
            seen.append((mode, batch_idx))

    manager = HookManager()
    manager.register(PerMode())
    manager.points.after_train_iter("R", 0, None, None)
    manager.points.after_val_iter("R", 1, None, None)
    manager.call("after_test_iter", {"runner": "R", "batch_idx": 2})
    assert seen == [("train", 0), ("val", 1), ("test", 2)]


def test_a_hook_costs_nothing_at_points_it_does_not_override() -> None:
    class OnlyEpochs(Hook):
        def after_train_epoch(self, runner):
            pass

    manager = HookManager()
    manager.register(OnlyEpochs())
    assert manager.has("after_train_epoch")
    assert not manager.has("after_train_iter") and not manager.has("before_run")


@pytest.fixture
def runner(tmp_path) -> Runner:
    cfg = digits_cfg(str(tmp_path))
    cfg["train_cfg"] = dict(by_epoch=True, max_epochs=1)
    return Runner.from_cfg(Config(cfg))


def test_runner_hooks_is_the_list_of_hooks_in_priority_order(runner: Runner) -> None:
    hooks = runner.hooks
    assert len(hooks) == len(list(hooks)) > 3
    assert hooks[0] is list(hooks)[0] and hooks[-1] is list(hooks)[-1]
    priorities = [get_priority(h.priority) for h in hooks]
    assert priorities == sorted(priorities)
    assert all(isinstance(h, Hook) for h in runner.hooks)
    assert "RuntimeInfoHook" in {type(h).__name__ for h in runner.hooks}


def test_register_hook_as_mmengine_has_it(runner: Runner) -> None:
    class Mine(Hook):
        priority = "LOW"

    first, second = Mine(), Mine()
    runner.register_hook(first)
    runner.register_hook(second, priority="VERY_HIGH")  # the argument wins over the class
    assert first.priority == "LOW" and second.priority == "VERY_HIGH"  # kept as given
    hooks = list(runner.hooks)
    assert hooks.index(second) < hooks.index(first)
    # a config dict; a 'priority' key applies unless the argument overrides it
    HOOKS.register_module(name="MineForRegisterTest", module=Mine, force=True)
    runner.register_hook({"type": "MineForRegisterTest", "priority": "HIGHEST"})
    assert type(runner.hooks[0]) is Mine and runner.hooks[0].priority == "HIGHEST"
    runner.register_hook({"type": "MineForRegisterTest", "priority": "HIGHEST"}, priority=99)
    (late,) = [h for h in runner.hooks if h.priority == 99]
    after = list(runner.hooks)[list(runner.hooks).index(late) + 1 :]
    assert all(get_priority(h.priority) > 99 for h in after)


def test_equal_priorities_keep_registration_order(runner: Runner) -> None:
    a, b = Hook(), Hook()
    runner.register_hook(a, priority=55)
    runner.register_hook(b, priority=55)
    hooks = list(runner.hooks)
    assert hooks.index(a) + 1 == hooks.index(b)


def test_get_hooks_info_names_each_point_and_its_hooks(runner: Runner) -> None:
    class Probe(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
            pass

    runner.register_hook(Probe(), priority=55)
    info = runner.get_hooks_info()
    assert "after_train_iter:" in info and "CheckpointHook" in info
    # priorities by name where they have one, as MMEngine's table shows them
    assert f"(NORMAL      ) {'IterTimerHook':<35}" in info.splitlines()
    assert f"(55          ) {'Probe':<35}" in info.splitlines()
    points = [line[:-1] for line in info.splitlines() if line.endswith(":")]
    assert points[0] == "before_run" and points[-2] == "after_run"  # the order a run reaches
    assert points[-1] == "on_exception"  # LoggerHook's (not an MMEngine stage: after them)


def test_priorities_outside_mmengines_range_are_refused(runner: Runner) -> None:
    with pytest.raises(ValueError, match="out of range: use 0 \\(HIGHEST\\) to 100"):
        runner.register_hook(Hook(), priority=150)
    with pytest.raises(ValueError, match="out of range"):
        runner.register_hook(Hook(), priority=-1)
    runner.register_hook(Hook(), priority=100)  # the ends are fine


def test_mmengines_data_batch_alias_is_importable() -> None:
    """Typed OpenMMLab hooks import it for their signatures (mmengine.hooks.hook.DATA_BATCH)."""
    from typing import Optional, Union

    from runner_core.hooks.hook import DATA_BATCH

    assert DATA_BATCH == Optional[Union[dict, tuple, list]]  # noqa: UP007, UP045


def test_overriding_a_helper_that_inherited_points_never_call_warns() -> None:
    """mmagic's IterTimerHook subclass overrides _after_iter; ours implements each point
    itself, so the override would be silently unused."""

    class Direct(Hook):
        def after_train_iter(
            self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
        ) -> None:
            pass

    with pytest.warns(UserWarning, match=r"overrides _after_iter, but the points it inherits"):

        class Sub(Direct):
            def _after_iter(
                self,
                runner: Any,
                batch_idx: int,
                data_batch: Any = None,
                outputs: Any = None,
                mode: str = "train",
            ) -> None:
                pass

    with warnings.catch_warnings():
        warnings.simplefilter("error")

        class Plain(Hook):  # Hook's points call the helper: nothing to warn about
            def _after_iter(
                self,
                runner: Any,
                batch_idx: int,
                data_batch: Any = None,
                outputs: Any = None,
                mode: str = "train",
            ) -> None:
                pass

    class CallsSuper(Hook):  # its point goes on to Hook's, which calls the helper
        def after_train_iter(
            self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
        ) -> None:
            super().after_train_iter(runner, batch_idx, data_batch, outputs)

    with warnings.catch_warnings():
        warnings.simplefilter("error")

        class ThroughSuper(CallsSuper):
            def _after_iter(
                self,
                runner: Any,
                batch_idx: int,
                data_batch: Any = None,
                outputs: Any = None,
                mode: str = "train",
            ) -> None:
                pass


def test_each_point_method_shows_its_hookspecs_docstring() -> None:
    """help(Hook.after_train_iter) says what the point is for, not only where the spec is."""
    for name in (*STAGES, *EXTRA_STAGES):
        doc = inspect.getdoc(getattr(Hook, name)) or ""
        assert doc.startswith(inspect.cleandoc(getattr(specs, name).__doc__)), name
        assert doc.endswith(f"See :func:`runner_core.hooks.specs.{name}`."), name
