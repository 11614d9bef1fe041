"""Hook registration as MMEngine 0.10.7 does it: order, priorities, errors, ``get_hooks_info``."""

from __future__ import annotations

import pytest
from torch import nn

from runner_core import BaseModel, Runner
from runner_core.hooks import Hook, HookManager, Priority, get_priority
from runner_core.registry import HOOKS


class _First(Hook):
    def before_run(self, runner) -> None:
        pass

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        pass


class _Second(Hook):
    priority = "low"  # shown as given, as MMEngine shows it

    def before_run(self, runner) -> None:
        pass


def _line(priority: str, name: str) -> str:
    return f"({priority:<12}) {name:<35}"  # MMEngine's Runner.get_hooks_info line


def test_get_hooks_info_is_mmengines_table_line_by_line() -> None:
    manager = HookManager()
    manager.register(_First())
    manager.register(_Second())
    manager.register(_First(), priority=55)
    manager.register(_First(), priority=Priority.HIGH)
    assert manager.order_table().split("\n") == [
        "before_run:",
        _line("HIGH", "_First"),
        _line("NORMAL", "_First"),
        _line("55", "_First"),
        _line("low", "_Second"),
        " -------------------- ",
        "after_train_iter:",
        _line("HIGH", "_First"),
        _line("NORMAL", "_First"),
        _line("55", "_First"),
        " -------------------- ",
    ]


def test_a_priority_of_the_wrong_type_is_a_type_error_as_in_mmengine() -> None:
    with pytest.raises(TypeError, match="must be a name or an int, got 2.5"):
        get_priority(2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="_First"):
        HookManager().register(_First(), priority=2.5)  # type: ignore[arg-type]


def test_a_bad_priority_names_the_hook_and_registers_nothing() -> None:
    manager = HookManager()
    hook = _First()
    with pytest.raises(KeyError, match="_First.*'NORMALL'.*Did you mean one of 'NORMAL'"):
        manager.register(hook, priority="NORMALL")
    assert len(manager) == 0 and hook.priority == Priority.NORMAL  # left as it was

    class Medium(Hook):
        priority = "MEDIUM"

    with pytest.raises(KeyError, match="Medium.*'MEDIUM'"):
        manager.register(Medium())
    with pytest.raises(ValueError, match="_First \\(role 'timer'\\).*out of range"):
        manager.register(_First(), priority=101, role="timer")


class _Tiny(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, inputs=None, labels=None, mode: str = "tensor"):
        return self.fc(inputs)


@HOOKS.register_module(force=True)
class RegistrationOrderProbe(Hook):
    def before_train(self, runner) -> None:
        pass


def test_equal_priorities_run_default_hooks_first_then_custom_hooks(tmp_path) -> None:
    runner = Runner(
        model=_Tiny(),
        work_dir=str(tmp_path),
        default_hooks=dict(timer=None, mine=dict(type="RegistrationOrderProbe")),
        custom_hooks=[
            dict(type="RegistrationOrderProbe", priority="ABOVE_NORMAL"),
            dict(type="RegistrationOrderProbe", priority=50),
            RegistrationOrderProbe(),
        ],
    )
    names = [(type(h).__name__, get_priority(h.priority)) for h in runner.hooks]
    normal = [n for n, p in names if p == 50]
    # the 'mine' role comes after the set's NORMAL hooks; custom hooks after every default
    assert normal == ["DistSamplerSeedHook", *["RegistrationOrderProbe"] * 3]
    assert ("RegistrationOrderProbe", 40) in names and "IterTimerHook" not in normal
    assert [h.priority for h in runner.hooks if isinstance(h, RegistrationOrderProbe)] == [
        "ABOVE_NORMAL",
        Priority.NORMAL,
        50,
        Priority.NORMAL,
    ]


def test_a_bad_priority_in_custom_hooks_names_its_entry(tmp_path) -> None:
    hooks = [dict(type="EMAHook"), dict(type="EmptyCacheHook", priority="NORMALL")]
    with pytest.raises(KeyError, match=r"custom_hooks\[1\]: EmptyCacheHook.*NORMAL"):
        Runner(model=nn.Linear(2, 2), work_dir=str(tmp_path), custom_hooks=hooks)
