"""Stop a data loader's worker processes now, rather than whenever the loader is collected.

A loader with ``persistent_workers=True`` keeps its workers until it is
garbage-collected; one reached only through a Runner (which sits in reference
cycles) goes at the next full collection, and torch then waits 5 s per worker
before killing it. :meth:`Runner.release_data_workers` calls this for each of
its loaders, so a sweep or a notebook running Runners one after another does
not pile up workers (and the memory they hold).
"""

from __future__ import annotations

from typing import Any

__all__ = ["WorkerReaper", "shutdown_workers"]


class WorkerReaper:
    """The loaders an owner (a Runner) built, whose workers :meth:`stop` ends.

    Registered with ``weakref.finalize(owner, reaper.stop)``: a Runner dropped
    without ``release_data_workers()`` (a notebook reassigning ``runner``) is
    freed at some later garbage collection, where torch's own clean-up of a
    persistent loader waits 5 s per worker; stopping them first takes
    milliseconds. It holds the loaders, never the owner, so it keeps nothing of
    the owner alive.
    """

    def __init__(self) -> None:
        self._loaders: dict[int, Any] = {}

    def add(self, loader: Any) -> None:
        if loader is not None:
            self._loaders[id(loader)] = loader

    def stop(self) -> None:
        loaders, self._loaders = list(self._loaders.values()), {}
        for loader in loaders:
            try:
                shutdown_workers(loader)
            except Exception:  # a finalizer must not raise; torch cleans up the rest
                continue


def shutdown_workers(loader: Any) -> bool:
    """Stop ``loader``'s workers, persistent ones included; True if there were any.

    The next iteration of the loader starts new workers, as its first did.
    Works on torch's own iterator (its shutdown is torch's, the one its
    ``__del__`` runs); anything else is left alone.
    """
    live = getattr(loader, "_live_iterator", None)  # a non-persistent pass's (ContextDataLoader)
    stopped = callable(live) and _stop(live())
    if _stop(getattr(loader, "_iterator", None)):  # torch's own: the persistent one
        loader._iterator = None
        stopped = True
    return stopped


def _stop(iterator: Any) -> bool:
    """Shut ``iterator``'s workers down through torch's own shutdown; False if it has none."""
    shutdown = getattr(iterator, "_shutdown_workers", None)
    if not callable(shutdown):
        return False
    shutdown()
    return True
