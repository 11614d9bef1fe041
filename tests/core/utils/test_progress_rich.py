"""track_progress_rich: results in the order of the tasks, arguments unpacked, MMEngine's checks."""

from __future__ import annotations

import operator
from typing import Any

import pytest

from runner_core.utils import track_progress_rich


@pytest.mark.parametrize("nproc", [1, 2])
def test_results_keep_the_order_of_the_tasks(nproc: int) -> None:
    assert track_progress_rich(operator.neg, [1, 2, 3, 4, 5], nproc=nproc) == [-1, -2, -3, -4, -5]


def test_a_tuple_task_is_unpacked_into_arguments() -> None:
    assert track_progress_rich(pow, [(2, 3), (3, 2)], nproc=2) == [8, 9]
    assert track_progress_rich(pow, [[2, 1]]) == [2]


def test_no_tasks_calls_func_task_num_times() -> None:
    calls: list[int] = []

    def count() -> int:
        calls.append(1)
        return len(calls)

    assert track_progress_rich(count, task_num=3) == [1, 2, 3]


def test_a_generator_of_tasks() -> None:
    assert track_progress_rich(abs, (x for x in (-1, -2)), task_num=2) == [1, 2]
    assert track_progress_rich(abs, (x for x in (-1, -2))) == [1, 2]  # no total: an open bar


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"func": 1, "tasks": [1]}, TypeError, "func must be a callable object"),
        ({"func": abs, "tasks": 5}, TypeError, "tasks must be an iterable object"),
        (
            {"func": abs, "tasks": []},
            ValueError,
            "If tasks is an empty iterable, task_num must be set",
        ),
        (
            {"func": abs, "tasks": [1], "task_num": 2},
            ValueError,
            "task_num does not match the length",
        ),
        ({"func": abs, "tasks": [1], "nproc": 0}, ValueError, "nproc must be a positive number"),
    ],
)
def test_bad_arguments_as_mmengine(kwargs: dict[str, Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        track_progress_rich(**kwargs)


def test_the_bar_is_drawn_with_the_description(capsys: pytest.CaptureFixture[str]) -> None:
    track_progress_rich(abs, [-1, -2], description="Converting")
    out = capsys.readouterr().out
    assert "Converting" in out and "2/2" in out
