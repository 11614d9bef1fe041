"""Which run's logger or message hub is "current" in a thread that trains its own run.

MMEngine's current logger and hub are the latest created in the process. Two
runs trained at once in two threads (a web app's or a job queue's workers)
then send each other's ``print_log(..., logger='current')`` lines and
``MessageHub.get_current_instance()`` scalars (a model's extra losses, a
metric's warning, the weight-init report) to the wrong run. Here the latest
created stays current, except in another live thread that made one of its
own (or claimed one, :meth:`CurrentPerThread.claim`): there, its own is. A
single-threaded program sees MMEngine's behaviour unchanged.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["CurrentPerThread"]

_T = TypeVar("_T")


def _deref(ref: weakref.ref[Any] | None) -> Any:
    return ref() if ref is not None else None


class CurrentPerThread:
    """Who made each instance, and each thread's own latest, all held weakly."""

    def __init__(self) -> None:
        self._maker: weakref.WeakKeyDictionary[Any, weakref.ref[threading.Thread]] = (
            weakref.WeakKeyDictionary()
        )
        self._own: weakref.WeakKeyDictionary[threading.Thread, weakref.ref[Any]] = (
            weakref.WeakKeyDictionary()
        )

    def made(self, obj: Any) -> None:
        """``obj`` was just created in this thread: it is this thread's own latest."""
        thread = threading.current_thread()
        self._maker[obj] = weakref.ref(thread)
        self._own[thread] = weakref.ref(obj)

    def claim(self, obj: Any) -> None:
        """Make ``obj`` this thread's own (a run built in one thread, trained in another)."""
        self._own[threading.current_thread()] = weakref.ref(obj)

    def pick(self, latest: _T, registered: Callable[[Any], bool]) -> _T:
        """``latest``, unless another live thread made it and this thread has its own.

        ``registered(obj)``: whether ``obj`` is still the instance of its name
        (one replaced by a newer one of the same name is not current anywhere).
        """
        here = threading.current_thread()
        try:
            maker = _deref(self._maker.get(latest))
        except TypeError:  # not weakly referable (set by hand): nobody made it here
            return latest
        if maker is None or maker is here or not maker.is_alive():
            return latest
        own = _deref(self._own.get(here))
        if own is not None and registered(own):
            return own
        return latest
