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

A claim holds in the thread that made the latest too: with two Runners built
in one notebook, the first one's ``train()`` logs through its own logger and
hub, not the second's. Only an instance made in the thread during the call
itself (a hook's ``MMLogger.get_instance('mine')``) is current over the claim,
as the latest is in MMEngine.

Until a second thread makes or claims one, or a run call claims one, nothing of
this runs: a single-threaded program outside run calls sees MMEngine's
behaviour at MMEngine's cost.
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
        #: True once a second thread made or claimed an instance, and while a claim is
        #: held: otherwise ``pick`` is moot (the latest is current)
        self.shared = False
        self._threads_seen = False  # a second thread made or claimed one
        self._holding = 0  # claims held now, in all threads
        self._made = 0  # instances made so far: a claim notes the count when it starts
        self._order: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
        self._first: weakref.ref[threading.Thread] | None = None
        self._lock = threading.Lock()
        self._maker: weakref.WeakKeyDictionary[Any, weakref.ref[threading.Thread]] = (
            weakref.WeakKeyDictionary()
        )
        self._own: weakref.WeakKeyDictionary[threading.Thread, weakref.ref[Any]] = (
            weakref.WeakKeyDictionary()
        )
        # per thread, its claims: (the claimed instance, how many were made when it began)
        self._claims: weakref.WeakKeyDictionary[
            threading.Thread, list[tuple[weakref.ref[Any], int]]
        ] = weakref.WeakKeyDictionary()

    def _seen(self, thread: threading.Thread) -> None:
        with self._lock:  # two threads seen at once must not both pass for the first
            first = _deref(self._first)
            if first is None:
                self._first = weakref.ref(thread)
            elif first is not thread:
                self._threads_seen = self.shared = True

    def made(self, obj: Any) -> None:
        """``obj`` was just created in this thread: it is this thread's own latest."""
        thread = threading.current_thread()
        self._seen(thread)
        self._maker[obj] = weakref.ref(thread)
        self._own[thread] = weakref.ref(obj)
        with self._lock:
            self._made += 1
            self._order[obj] = self._made

    @contextlib.contextmanager
    def claimed(self, obj: Any) -> Iterator[None]:
        """``obj`` is current in this thread for the ``with`` block (a run call of the
        Runner that owns it), whichever thread made it or the latest."""
        thread = threading.current_thread()
        self._seen(thread)
        stack = self._claims.setdefault(thread, [])
        with self._lock:
            stack.append((weakref.ref(obj), self._made))
            self._holding += 1
            self.shared = True
        try:
            yield
        finally:
            with self._lock:
                stack.pop()
                self._holding -= 1
                self.shared = self._threads_seen or self._holding > 0

    def pick(self, latest: _T, registered: Callable[[Any], bool]) -> _T:
        """What is current in this thread, given the process's ``latest``.

        ``registered(obj)``: whether ``obj`` is still the instance of its name
        (one replaced by a newer one of the same name is not current anywhere, except
        where a run call claims it: its run goes on using it).
        """
        here = threading.current_thread()
        try:
            made_by = self._maker.get(latest)
        except TypeError:  # not weakly referable (set by hand): nobody made it here
            return latest
        maker = made_by() if made_by is not None else None  # None: gone, or not made()
        claims = self._claims.get(here)
        if claims:
            ref, since = claims[-1]
            claimed = ref()
            if claimed is not None:  # registered or not: a later Runner of the same
                # experiment name replaced its hub by name, yet this call's run owns it.
                # Made in this thread during the call (a hook's own logger): the latest,
                # as in MMEngine; anything else (another Runner's) yields to the claim
                newer_here = maker is here and self._order.get(latest, 0) > since
                return latest if newer_here else claimed
        if made_by is None:  # not made through made(): nothing to tell
            return latest
        if maker is here:
            return latest
        if maker is None or not maker.is_alive():
            return latest
        own = _deref(self._own.get(here))
        if own is not None and registered(own):
            return own
        return latest
