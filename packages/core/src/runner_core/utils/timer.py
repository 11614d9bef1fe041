"""A stopwatch for scripts (MMEngine's ``Timer``): ``with Timer():`` prints the seconds taken.

``check_time(name)`` is the one-line form for loops: the seconds since the
previous call with the same name.
"""

from __future__ import annotations

from time import perf_counter
from types import TracebackType

from ..errors import RunnerError

__all__ = ["Timer", "TimerError", "check_time"]


class TimerError(RunnerError):
    """A stopped ``Timer`` was read."""


class Timer:
    """Seconds since start (``since_start``) and since the last reading (``since_last_check``).

    Used as a context manager it prints the block's time with ``print_tmpl``
    (``'{:.3f}'`` by default).
    """

    def __init__(self, start: bool = True, print_tmpl: str | None = None) -> None:
        self._is_running = False
        self.print_tmpl = print_tmpl or "{:.3f}"
        self._t_start = self._t_last = 0.0
        if start:
            self.start()

    @property
    def is_running(self) -> bool:
        """Whether the timer has been started (and not left as a context manager)."""
        return self._is_running

    def __enter__(self) -> Timer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        print(self.print_tmpl.format(self.since_last_check()))
        self._is_running = False

    def start(self) -> None:
        """Start the timer (a running one keeps its start and only resets the last check)."""
        if not self._is_running:
            self._t_start = perf_counter()
            self._is_running = True
        self._t_last = perf_counter()

    def _check_running(self) -> None:
        if not self._is_running:
            raise TimerError("The Timer is not running: call timer.start() before reading it.")

    def since_start(self) -> float:
        """Seconds since the timer started (also counts as a check)."""
        self._check_running()
        self._t_last = perf_counter()
        return self._t_last - self._t_start

    def since_last_check(self) -> float:
        """Seconds since the last ``since_start``/``since_last_check`` call."""
        self._check_running()
        now = perf_counter()
        elapsed, self._t_last = now - self._t_last, now
        return elapsed


_timers: dict[str, Timer] = {}


def check_time(timer_id: str) -> float:
    """Seconds since the last ``check_time(timer_id)``; the first call starts the timer, returns 0.

    Timing each pass of a loop then takes one line in its body.
    """
    timer = _timers.get(timer_id)
    if timer is None:
        _timers[timer_id] = Timer()
        return 0
    return timer.since_last_check()
