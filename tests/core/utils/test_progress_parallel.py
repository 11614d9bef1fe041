"""track_parallel_progress: a process pool with MMEngine's bar (nproc=2, stdlib functions)."""

from __future__ import annotations

import io
import operator

import pytest

from runner_core.utils import track_parallel_progress


def test_results_come_back_in_order_with_a_bar() -> None:
    out = io.StringIO()
    results = track_parallel_progress(operator.neg, [1, 2, 3, 4], nproc=2, file=out)
    assert results == [-1, -2, -3, -4]
    text = out.getvalue()
    assert text.startswith("[") and text.count("/4") == 5 and text.endswith("\n")


def test_unordered_results_and_an_iterator_with_its_count() -> None:
    out = io.StringIO()
    results = track_parallel_progress(
        abs, (iter([-1, -2, -3]), 3), nproc=2, keep_order=False, file=out
    )
    assert sorted(results) == [1, 2, 3]


def test_skip_first_leaves_the_first_chunk_of_each_worker_out_of_the_bar() -> None:
    out = io.StringIO()
    results = track_parallel_progress(
        operator.neg, list(range(6)), nproc=2, skip_first=True, file=out
    )
    assert results == [0, -1, -2, -3, -4, -5]
    # 6 tasks - 2 workers x chunksize 1: the bar starts after two results and counts 4
    assert out.getvalue().startswith("[") and "0/4" in out.getvalue()
    assert "4/4" in out.getvalue() and "/6" not in out.getvalue()


def test_a_failing_task_raises_in_the_caller() -> None:
    with pytest.raises(ValueError, match="invalid literal for int"):
        track_parallel_progress(int, ["1", "x"], nproc=2, file=io.StringIO())


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match='"initargs" must be a tuple'):
        track_parallel_progress(
            abs,
            [1],
            nproc=2,
            initializer=print,
            initargs=[1],  # type: ignore[arg-type]
            file=io.StringIO(),
        )
    with pytest.raises(TypeError, match='"tasks" must be a tuple object or a sequence'):
        track_parallel_progress(abs, iter([1]), nproc=2)  # type: ignore[arg-type]
