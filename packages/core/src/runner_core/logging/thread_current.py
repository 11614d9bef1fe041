"""Which run's logger or message hub is "current" in a thread that trains its own run.

MMEngine's current logger and hub are the latest created in the process. Two
runs trained at once in two threads (a web app's or a job queue's workers)
then send each other's ``print_log(..., logger='current')`` lines and
``MessageHub.get_current_instance()`` scalars (a model's extra losses, a
metric's warning, the weight-init report) to the wrong run. Here the latest
created stays current, except in a thread other than the one that made it:

* while that thread runs a call of its own Runner (``train()``, ``val()``,
  ``test()`` claim its logger and hub for the call, :meth:`CurrentPerThread.claimed`),
  its Runner's are current, whether or not the other thread still lives;
* otherwise, while the maker of the latest still lives, the thread's own latest
  (one it made) is.

Until a second thread makes or claims one, nothing of this runs: a
single-threaded program sees MMEngine's behaviour at MMEngine's cost.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

__all__ = ["CurrentPerThread"]

_T = TypeVar("_T")


def _deref(ref: weakref.ref[Any] | None) -> Any:
    return ref() if ref is not None else None


class CurrentPerThread:
    """Who made each instance, each thread's own latest and its claims, all held weakly."""

    def __init__(self) -> None:
        #: True once a second thread made or claimed an instance: before, ``pick`` is moot
        self.shared = False
        self._first: weakref.ref[threading.Thread] | None = None
        self._lock = threading.Lock()
        self._maker: weakref.WeakKeyDictionary[Any, weakref.ref[threading.Thread]] = (
            weakref.WeakKeyDictionary()
        )
        self._own: weakref.WeakKeyDictionary[threading.Thread, weakref.ref[Any]] = (
            weakref.WeakKeyDictionary()
        )
        self._claims: weakref.WeakKeyDictionary[threading.Thread, list[weakref.ref[Any]]] = (
            weakref.WeakKeyDictionary()
        )

    def _seen(self, thread: threading.Thread) -> None:
        with self._lock:  # two threads seen at once must not both pass for the first
            first = _deref(self._first)
            if first is None:
                self._first = weakref.ref(thread)
            elif first is not thread:
                self.shared = True

    def made(self, obj: Any) -> None:
        """``obj`` was just created in this thread: it is this thread's own latest."""
        thread = threading.current_thread()
        self._seen(thread)
        self._maker[obj] = weakref.ref(thread)
        self._own[thread] = weakref.ref(obj)

    @contextlib.contextmanager
    def claimed(self, obj: Any) -> Iterator[None]:
        """``obj`` is current in this thread for the ``with`` block (a run call of the
        Runner that owns it), whichever thread made it or the latest."""
        thread = threading.current_thread()
        self._seen(thread)
        stack = self._claims.setdefault(thread, [])
        stack.append(weakref.ref(obj))
        try:
            yield
        finally:
            stack.pop()

    def pick(self, latest: _T, registered: Callable[[Any], bool]) -> _T:
        """What is current in this thread, given the process's ``latest``.

        ``registered(obj)``: whether ``obj`` is still the instance of its name
        (one replaced by a newer one of the same name is not current anywhere).
        """
        here = threading.current_thread()
        try:
            made_by = self._maker.get(latest)
        except TypeError:  # not weakly referable (set by hand): nobody made it here
            return latest
        if made_by is None:  # not made through made(): nothing to tell
            return latest
        maker = made_by()  # None: its thread ended and is gone
        if maker is here:
            return latest
        claims = self._claims.get(here)
        claimed = _deref(claims[-1]) if claims else None
        if claimed is not None and registered(claimed):
            return claimed
        if maker is None or not maker.is_alive():
            return latest
        own = _deref(self._own.get(here))
        if own is not None and registered(own):
            return own
        return latest
