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

__all__ = ["shutdown_workers"]


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
