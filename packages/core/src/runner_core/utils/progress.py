"""A text progress bar for scripts and dataset preparation (MMEngine's ``ProgressBar``).

``tools/*.py`` scripts written for MMEngine wrap their loops in
``track_progress`` / ``track_iter_progress`` (``track_parallel_progress`` with
a process pool); the bar is plain text (``\\r`` redraws), written to ``file``
(stdout by default), in MMEngine's format.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TextIO

from ..errors import RunnerError
from .timer import Timer

__all__ = [
    "ProgressArgumentError",
    "ProgressTasksError",
    "ProgressBar",
    "track_iter_progress",
    "track_parallel_progress",
    "track_progress",
]


class ProgressArgumentError(RunnerError, ValueError, AssertionError):
    """``ProgressBar.update`` got a count below 1 (MMEngine asserts: AssertionError)."""


class ProgressTasksError(RunnerError, TypeError, AssertionError):
    """``tasks`` given as a tuple is not ``(iterable, int)`` (MMEngine asserts: AssertionError)."""


class ProgressBar:
    """A bar of ``task_num`` steps (``task_num=0``: a counter), advanced by ``update()``."""

    def __init__(
        self, task_num: int = 0, bar_width: int = 50, start: bool = True, file: TextIO | None = None
    ) -> None:
        self.task_num = task_num
        self.bar_width = bar_width
        self.completed = 0
        self.file: TextIO = sys.stdout if file is None else file
        self.timer = Timer(start=False)
        if start:
            self.start()

    @property
    def terminal_width(self) -> int:
        """Columns of the terminal (80 when there is none)."""
        return shutil.get_terminal_size().columns

    def start(self) -> None:
        """Draw the empty bar and start the clock."""
        if self.task_num > 0:
            self.file.write(f"[{' ' * self.bar_width}] 0/{self.task_num}, elapsed: 0s, ETA:")
        else:
            self.file.write("completed: 0, elapsed: 0s")
        self.file.flush()
        self.timer = Timer()

    def update(self, num_tasks: int = 1) -> None:
        """Advance by ``num_tasks`` (> 0) and redraw."""
        if num_tasks <= 0:
            raise ProgressArgumentError(
                f"ProgressBar.update(num_tasks={num_tasks}): num_tasks must be > 0."
            )
        self.completed += num_tasks
        elapsed = self.timer.since_start()
        fps = self.completed / elapsed if elapsed > 0 else float("inf")
        if self.task_num > 0:
            fraction = self.completed / float(self.task_num)
            eta = int(elapsed * (1 - fraction) / fraction + 0.5)
            msg = (
                f"\r[{{}}] {self.completed}/{self.task_num}, {fps:.1f} task/s, "
                f"elapsed: {int(elapsed + 0.5)}s, ETA: {eta:5}s"
            )
            width = self.terminal_width
            bar_width = max(2, min(self.bar_width, width - len(msg) + 2, int(width * 0.6)))
            marks = int(bar_width * fraction)
            self.file.write(msg.format(">" * marks + " " * (bar_width - marks)))
        else:
            self.file.write(
                f"completed: {self.completed}, elapsed: {int(elapsed + 0.5)}s, {fps:.1f} tasks/s"
            )
        self.file.flush()


def _tasks_and_count(tasks: Any) -> tuple[Iterable[Any], int]:
    """``(iterable, count)`` tuples as given; a sequence counts itself."""
    if isinstance(tasks, tuple):
        if len(tasks) != 2 or not isinstance(tasks[0], Iterable) or not isinstance(tasks[1], int):
            raise ProgressTasksError(
                "tasks given as a tuple must be (iterable of tasks, number of tasks), got "
                f"{tasks!r:.80}; pass a list to have it counted."
            )
        return tasks[0], tasks[1]
    if isinstance(tasks, Sequence):
        return tasks, len(tasks)
    raise TypeError(
        f'"tasks" must be a tuple object or a sequence object, but got {type(tasks).__name__}: '
        "pass a list, or (iterable, number of tasks)."
    )


def track_progress(
    func: Callable[..., Any],
    tasks: Sequence[Any] | tuple[Iterable[Any], int],
    bar_width: int = 50,
    file: TextIO | None = None,
    **kwargs: Any,
) -> list[Any]:
    """``[func(task, **kwargs) for task in tasks]``, drawing a progress bar as it goes."""
    items, count = _tasks_and_count(tasks)
    bar = ProgressBar(count, bar_width, file=file)
    results = []
    for task in items:
        results.append(func(task, **kwargs))
        bar.update()
    bar.file.write("\n")
    return results


def track_parallel_progress(
    func: Callable[[Any], Any],
    tasks: Sequence[Any] | tuple[Iterable[Any], int],
    nproc: int,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple[Any, ...] | None = None,
    bar_width: int = 50,
    chunksize: int = 1,
    skip_first: bool = False,
    keep_order: bool = True,
    file: TextIO | None = None,
) -> list[Any]:
    """``[func(task) for task in tasks]`` run by ``nproc`` worker processes, with a progress bar.

    ``func`` must be picklable (a module-level function). ``keep_order=False``
    returns results as they finish (``Pool.imap_unordered``). ``skip_first``
    starts the clock only once each worker has returned its first chunk, so
    worker start-up does not skew the speed shown.
    """
    from multiprocessing import Pool

    items, count = _tasks_and_count(tasks)
    if initargs is not None and not isinstance(initargs, tuple):
        raise TypeError(
            f'track_parallel_progress: "initargs" must be a tuple, got {type(initargs).__name__}.'
        )
    warmup = nproc * chunksize if skip_first else 0
    bar = ProgressBar(count - warmup, bar_width, start=not skip_first, file=file)
    results: list[Any] = []
    pool = Pool(nproc, initializer, initargs or ())
    try:
        if keep_order:
            gen = pool.imap(func, items, chunksize)
        else:
            gen = pool.imap_unordered(func, items, chunksize)
        for result in gen:
            results.append(result)
            if skip_first and len(results) <= warmup:
                if len(results) == warmup:
                    bar.start()
                continue
            bar.update()
        bar.file.write("\n")
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
    return results


def track_iter_progress(
    tasks: Sequence[Any] | tuple[Iterable[Any], int],
    bar_width: int = 50,
    file: TextIO | None = None,
) -> Iterator[Any]:
    """Yield each task, advancing a progress bar after the loop body has run."""
    items, count = _tasks_and_count(tasks)
    bar = ProgressBar(count, bar_width, file=file)
    for task in items:
        yield task
        bar.update()
    bar.file.write("\n")
