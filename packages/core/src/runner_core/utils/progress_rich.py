"""``track_progress_rich``: MMEngine's colourful progress bar over a process pool.

Dataset conversion scripts call it to run a function over many inputs with
several processes. ``rich`` is a dependency of runner-core; it is imported on
the first call so that ``import runner_core.utils`` stays light.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sized
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.progress import ProgressColumn

__all__ = ["track_progress_rich"]


class _Worker:
    """Calls ``func`` with one task's arguments and returns ``(result, index)`` (picklable)."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func

    def __call__(self, indexed: tuple[Any, int]) -> tuple[Any, int]:
        inputs, index = indexed
        if not isinstance(inputs, (tuple, list)):
            inputs = (inputs,)
        return self.func(*inputs), index


def _remaining_column(skip_times: int) -> ProgressColumn:
    """A time-remaining column that shows ``-:--:--`` until ``skip_times`` tasks are done.

    The first results of a pool include its start-up, which would make the
    first estimates far too long.
    """
    from rich.progress import Task, TimeRemainingColumn
    from rich.text import Text

    class _SkipFirstTimeRemainingColumn(TimeRemainingColumn):
        def render(self, task: Task) -> Text:
            if task.completed <= skip_times:
                return Text("-:--:--", style="progress.remaining")
            return super().render(task)

    return _SkipFirstTimeRemainingColumn()


def track_progress_rich(
    func: Callable[..., Any],
    tasks: Iterable[Any] = (),
    task_num: int | None = None,
    nproc: int = 1,
    chunksize: int = 1,
    description: str = "Processing",
    color: str = "blue",
) -> list[Any]:
    """``func`` applied to each task (a tuple or list is unpacked into arguments), in order.

    ``nproc > 1`` runs a ``multiprocessing.Pool`` (``func`` must be
    picklable) and still returns the results in the order of ``tasks``. With
    no ``tasks``, ``func()`` is called ``task_num`` times. A generator of
    tasks may give its length as ``task_num`` for the bar.
    """
    if not callable(func):
        raise TypeError(f"track_progress_rich: func must be a callable object, got {func!r:.80}.")
    if not isinstance(tasks, Iterable):
        raise TypeError(
            f"track_progress_rich: tasks must be an iterable object, but got "
            f"{type(tasks).__name__}."
        )
    if isinstance(tasks, Sized):
        if len(tasks) == 0:
            if task_num is None:
                raise ValueError(
                    "track_progress_rich: If tasks is an empty iterable, task_num must be set "
                    "(the number of times to call func with no arguments)."
                )
            tasks = tuple(() for _ in range(task_num))
        else:
            if task_num is not None and task_num != len(tasks):
                raise ValueError(
                    f"track_progress_rich: task_num does not match the length of tasks "
                    f"({task_num} != {len(tasks)}); leave task_num out for a sized iterable."
                )
            task_num = len(tasks)
    if nproc <= 0:
        raise ValueError(f"track_progress_rich: nproc must be a positive number, got {nproc}.")

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
    )

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        _remaining_column(nproc * chunksize if nproc > 1 else 0),
        MofNCompleteColumn(),
        TaskProgressColumn(show_speed=True),
    )
    worker = _Worker(func)
    task_id = progress.add_task(total=task_num, color=color, description=description)
    indexed: Iterator[tuple[Any, int]] = ((task, i) for i, task in enumerate(tasks))
    with progress:
        if nproc == 1:
            results = []
            for item in indexed:
                results.append(worker(item)[0])
                progress.update(task_id, advance=1, refresh=True)
            return results
        from multiprocessing import Pool

        done: list[tuple[Any, int]] = []
        with Pool(nproc) as pool:
            for result in pool.imap_unordered(worker, indexed, chunksize):
                done.append(result)
                progress.update(task_id, advance=1, refresh=True)
    ordered: list[Any] = [None] * len(done)
    for result, index in done:
        ordered[index] = result
    return ordered
