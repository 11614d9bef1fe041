"""The preemption signals data-loader workers ignore while training, so only the main process reacts.

``timeout``, ``kill -TERM -PGID`` and schedulers signal the whole process
group, data workers included. A worker left to SIGTERM's default action (or
to torch's worker handler, which re-raises it) dies, and the main process
then fails with "DataLoader worker exited unexpectedly" before it can save
its preemption checkpoint. While :func:`ignored_in_workers` is active (the
Runner's ``preemption.watch``, during training), the workers that
``build_dataloader`` starts ignore those signals; the main process stops at
the end of the iteration and shuts them down as usual (Ctrl-C works the same
way: torch's worker loop swallows ``KeyboardInterrupt``).

The workers cannot just ignore the signals for good: at exit, Python's
``multiprocessing`` stops daemonic workers still alive (persistent workers,
or an iterator a traceback keeps) with SIGTERM and waits for them, which
would wait forever. So they ignore them only while a switch in shared memory
says training runs; after that SIGTERM ends a worker quietly (torch's own
worker handler does so for its parent's SIGTERM) and other signals have
their default effect. A worker whose training process is gone (killed with
SIGKILL) takes SIGTERM as after training; one that finds it gone as it
starts exits at once, and one that starts just before it goes exits within
seconds (torch's own watchdog then waits for a parent of pid 1 forever).
Workers read the switch when they start (``WorkerSeeder``): a forked worker
inherits this module's state, a spawned one (``spawn`` / ``forkserver``)
unpickles it with the seeder. A worker is not covered from its start: a
spawned one runs with the signals' default action until it has imported
torch, a forked one with torch's worker handler for a moment. So the loader
holds the signals (blocks them) in the main process while it starts workers
(:func:`held_while_starting`); the workers inherit the blocked mask and
unblock it once their handler is in place, and a signal sent meanwhile waits
for it instead of killing them. Not covered: with ``forkserver`` a group's
SIGTERM also stops Python's fork server, and torch's workers exit once their
parent (that server) is gone (docs/distributed.md says to signal the
training process alone there).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["Watch", "current", "held_while_starting", "ignored_in_workers"]

_CAN_HOLD = hasattr(signal, "pthread_sigmask")  # POSIX; Windows has no signal masks
#: how often a data worker checks that its training process still runs (torch: 5 s)
_MAIN_CHECK_SECONDS = 5.0


class Watch:
    """The signals workers ignore, and the shared switch saying whether they still do."""

    def __init__(self, signals: Iterable[int]) -> None:
        import multiprocessing

        self.signals = tuple(int(s) for s in signals)
        self.active: Any = multiprocessing.RawValue("b", 1)  # shared with forked workers
        self.main_pid = os.getpid()  # the training process, which stops the workers

    def __getstate__(self) -> dict[str, Any]:
        from multiprocessing import context

        if context.get_spawning_popen() is None:  # a copy, not a worker: no shared switch
            return {"signals": self.signals, "active": None}
        return dict(self.__dict__)

    def install(self) -> None:
        """In a data worker: ignore the signals while the switch is on (replaces torch's handlers).

        Then lets through the signals :func:`held_while_starting` held back
        while this worker started: one sent meanwhile arrives now, and is ignored.
        """
        try:
            if self.active is not None:
                # fork and spawn: the training process is this worker's parent, and once it
                # is gone (even as a zombie nobody reaped) the parent changes
                self._child_of_main = os.getppid() == getattr(self, "main_pid", None)
                if not self._main_alive():
                    # killed while starting this worker: torch's parent watchdog, which
                    # records the parent it finds later, would wait for a parent of 1 forever
                    os._exit(0)
                for signum in self.signals:
                    signal.signal(signum, self._on_signal)
                # and killed after this check: torch's watchdog may have recorded init as the
                # parent to wait for, so this worker looks for its training process itself
                import threading

                threading.Thread(
                    target=self._exit_with_main, name="runner-main-watch", daemon=True
                ).start()
        finally:
            if _CAN_HOLD:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, self.signals)

    def _exit_with_main(self) -> None:
        while self._main_alive():
            time.sleep(_MAIN_CHECK_SECONDS)
        os._exit(0)

    _child_of_main = False

    def _main_alive(self) -> bool:
        main = getattr(self, "main_pid", None)
        if main is None or os.getppid() == main:
            return True
        if self._child_of_main:
            return False  # its parent changed: reparented, the training process is gone
        try:  # not its parent (forkserver's workers): ask whether it still runs
            os.kill(main, 0)
        except ProcessLookupError:
            return False
        except OSError:
            return True
        return True

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self.active.value and self._main_alive():
            return  # training: the main process saves, then stops this worker
        if signum == signal.SIGTERM:  # after training: stop quietly, as torch's worker handler
            os._exit(0)  # does for its parent's terminate() (multiprocessing's exit)
        signal.signal(signum, signal.SIG_DFL)  # any other: the signal's usual effect
        os.kill(os.getpid(), signum)


_current: Watch | None = None


def current() -> Watch | None:
    """The signals data workers started now ignore (None: none)."""
    return _current


@contextlib.contextmanager
def held_while_starting(start_method: str) -> Iterator[None]:
    """Hold the watched signals in this thread while data workers start (see the module docstring).

    ``start_method`` is how the workers start. Nothing is held outside a
    watch, or for ``forkserver``, whose server process would keep the block
    for good. For ``spawn``, Python's resource tracker is started first:
    starting it unblocks SIGTERM.
    """
    watch = _current
    if watch is None or not _CAN_HOLD or start_method not in ("fork", "spawn"):
        yield
        return
    if start_method == "spawn":
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, watch.signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextlib.contextmanager
def ignored_in_workers(signals: Iterable[int]) -> Iterator[None]:
    """Data workers started inside the block ignore ``signals`` until it ends."""
    global _current
    signals = tuple(signals)
    if not signals:
        yield
        return
    previous, _current = _current, Watch(signals)
    watch = _current
    try:
        yield
    finally:
        watch.active.value = 0
        _current = previous
