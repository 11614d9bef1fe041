"""ProgressBar / track_progress output, Timer, and ManagerMixin's instances by name."""

from __future__ import annotations

import io
from typing import Any

import pytest

from runner_core.utils import (
    ManagerMixin,
    ProgressBar,
    Timer,
    TimerError,
    track_iter_progress,
    track_progress,
)


def test_progress_bar_writes_mmengine_format() -> None:
    out = io.StringIO()
    bar = ProgressBar(4, bar_width=10, file=out)
    for _ in range(4):
        bar.update()
    frames = out.getvalue().split("\r")
    assert frames[0] == "[          ] 0/4, elapsed: 0s, ETA:"
    assert len(frames) == 5
    assert frames[-1].startswith("[") and " 4/4, " in frames[-1] and "ETA:     0s" in frames[-1]
    assert bar.completed == 4
    with pytest.raises(ValueError, match="num_tasks must be > 0") as info:
        bar.update(0)
    assert isinstance(info.value, AssertionError)  # MMEngine asserts num_tasks > 0


def test_progress_bar_without_a_total_counts() -> None:
    out = io.StringIO()
    ProgressBar(file=out).update(3)
    assert out.getvalue().startswith("completed: 0, elapsed: 0scompleted: 3, elapsed: 0s,")


def test_track_progress_returns_results_and_ends_the_line() -> None:
    out = io.StringIO()
    assert track_progress(lambda x, k: x * k, [1, 2, 3], file=out, k=2) == [2, 4, 6]
    assert out.getvalue().count("/3") == 4 and out.getvalue().endswith("\n")
    out = io.StringIO()
    assert track_progress(str, (iter(range(2)), 2), file=out) == ["0", "1"]
    with pytest.raises(TypeError, match='"tasks" must be a tuple object or a sequence'):
        track_progress(str, iter(range(2)))  # type: ignore[arg-type]


@pytest.mark.parametrize("tasks", [(1, 2, 3), ([1], "2"), (5, 1)])
def test_a_malformed_tasks_tuple_is_an_assertion_error(tasks: Any) -> None:
    # MMEngine asserts (iterable, int): code catching AssertionError keeps working
    for call in (
        lambda: track_progress(str, tasks, file=io.StringIO()),
        lambda: list(track_iter_progress(tasks, file=io.StringIO())),
    ):
        with pytest.raises(
            TypeError, match="must be \\(iterable of tasks, number of tasks\\)"
        ) as info:
            call()
        assert isinstance(info.value, AssertionError)


def test_track_iter_progress_yields_each_task() -> None:
    out = io.StringIO()
    assert list(track_iter_progress(([5, 6], 2), file=out)) == [5, 6]
    assert out.getvalue().count("/2") == 3


def test_timer() -> None:
    timer = Timer()
    assert timer.is_running
    assert timer.since_start() >= 0 and timer.since_last_check() >= 0
    with pytest.raises(TimerError, match="not running"):
        Timer(start=False).since_start()


class _Named(ManagerMixin):
    def __init__(self, name: str = "", value: int = 0) -> None:
        super().__init__(name)
        self.value = value


class _Other(_Named):
    pass


def test_manager_mixin_keeps_instances_by_name() -> None:
    a = _Named.get_instance("mgr-a", value=1)
    b = _Named.get_instance("mgr-b", value=2)
    assert _Named.get_instance("mgr-a") is a and a.value == 1
    assert _Named.get_current_instance() is b
    assert a.instance_name == "mgr-a"
    assert _Named.check_instance_created("mgr-b") and not _Named.check_instance_created("mgr-c")
    with pytest.warns(UserWarning, match=r"ignores the arguments \[.value.\]"):
        assert _Named.get_instance("mgr-a", value=5).value == 1


def test_manager_mixin_subclasses_keep_their_own_instances() -> None:
    with pytest.raises(RuntimeError, match=r"_Other.get_current_instance\(\), you should call"):
        _Other.get_current_instance()
    with pytest.raises(AssertionError, match="non-empty string"):
        _Named(name="")


def test_runner_message_hub_and_logger_count_as_manager_mixin() -> None:
    from runner_core.logging import MessageHub, RunLogger

    hub: Any = MessageHub.get_instance("utils-test-hub")
    assert isinstance(hub, ManagerMixin)
    assert issubclass(RunLogger, ManagerMixin)
    assert not issubclass(int, ManagerMixin)
