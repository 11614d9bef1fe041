"""``TimeCounter``: the average time of a function or block, logged every few calls.

A quick way to measure one piece of a model (``@TimeCounter()`` on
``forward``, or ``with TimeCounter(tag='nms'):``) without a profiler; as
MMEngine's, it synchronises CUDA around the timed code so GPU work is counted.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, ClassVar

import torch

from ...errors import RunnerError

__all__ = ["TimeCounter", "TimeCounterError"]


class TimeCounterError(RunnerError, ValueError, AssertionError):
    """A TimeCounter was set up wrongly (MMEngine asserts: AssertionError)."""


class TimeCounter:
    """Logs ``[tag]-time per run averaged in the past N runs: X ms`` every ``log_interval`` runs.

    The first ``warmup_interval - 1`` runs are left out of the average.
    Counters are shared by ``tag``: ``TimeCounter(tag='x')`` twice is one
    counter. ``logger`` is passed to ``print_log`` (None prints). Only the main
    process logs.
    """

    instance_dict: ClassVar[dict[str | None, TimeCounter]] = {}

    log_interval: int
    warmup_interval: int
    with_sync: bool
    tag: str | None
    logger: Any
    _count: int
    _pure_inf_time: float
    _start_time: float

    def __new__(
        cls,
        log_interval: int = 1,
        warmup_interval: int = 1,
        with_sync: bool = True,
        tag: str | None = None,
        logger: Any = None,
    ) -> TimeCounter:
        if warmup_interval < 1:
            raise TimeCounterError(
                f"TimeCounter(warmup_interval={warmup_interval}): it must be >= 1 (1 averages "
                "every run)."
            )
        if tag is not None and tag in cls.instance_dict:
            return cls.instance_dict[tag]
        instance = super().__new__(cls)
        cls.instance_dict[tag] = instance
        instance.log_interval = log_interval
        instance.warmup_interval = warmup_interval
        instance.with_sync = with_sync
        instance.tag = tag
        instance.logger = logger
        instance._count = 0
        instance._pure_inf_time = 0.0
        instance._start_time = 0.0
        return instance

    def _sync(self) -> None:
        if self.with_sync and torch.cuda.is_available():
            torch.cuda.synchronize()

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Decorate ``fn``: each call is timed (the tag defaults to its name)."""
        if self.tag is None:
            self.tag = fn.__name__

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not _is_main_process():
                return fn(*args, **kwargs)
            self._count += 1
            self._sync()
            start = time.perf_counter()
            result = fn(*args, **kwargs)
            self._sync()
            self.print_time(time.perf_counter() - start)
            return result

        return wrapper

    def __enter__(self) -> None:
        if self.tag is None:
            raise TimeCounterError(
                "In order to clearly distinguish printing information in different contexts, "
                "please specify the tag parameter: `with TimeCounter(tag='name'):`."
            )
        if not _is_main_process():
            return
        self._count += 1
        self._sync()
        self._start_time = time.perf_counter()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not _is_main_process():
            return
        self._sync()
        self.print_time(time.perf_counter() - self._start_time)

    def print_time(self, elapsed: float) -> None:
        """Add ``elapsed`` seconds to the average and log it every ``log_interval`` runs."""
        if self._count < self.warmup_interval:
            return
        self._pure_inf_time += elapsed
        if self._count % self.log_interval == 0:
            per_run = 1000 * self._pure_inf_time / (self._count - self.warmup_interval + 1)
            from ...logging.print_log import print_log

            print_log(
                f"[{self.tag}]-time per run averaged in the past {self._count} runs: "
                f"{per_run:.1f} ms",
                self.logger,
            )


def _is_main_process() -> bool:
    """Rank 0, or a run without torch.distributed (MMEngine's ``master_only``)."""
    from ...distributed.utils import is_main_process

    return bool(is_main_process())
