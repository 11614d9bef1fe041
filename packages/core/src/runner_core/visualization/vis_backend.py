"""``BaseVisBackend``: the base class of visualisation backends (MMEngine's, same constructor).

The ``Visualizer`` calls its backends' ``add_scalars``, ``add_scalar``,
``add_image``, ``add_config``, ``add_graph`` and ``close``; any object with
those methods works. Subclassing this class gives the ones a backend does
not need as no-ops, so an MMEngine backend (``class MyBackend(BaseVisBackend)``
registered in ``VISBACKENDS``) runs unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])


class BaseVisBackend:
    """A backend that records nothing: subclasses override what they record.

    Args:
        save_dir: the folder the backend writes to (the Runner's visualizer
            passes ``<run folder>/vis_data``).
        init_kwargs: options of the library the backend wraps, kept for
            ``_init_env`` (MMEngine's name).
    """

    def __init__(
        self, save_dir: str | os.PathLike[str] | None = None, init_kwargs: dict | None = None
    ) -> None:
        # MMEngine's attribute names, which its backends read (plain attributes: a subclass
        # may set its own ``save_dir``)
        self._save_dir = save_dir
        self._init_kwargs = init_kwargs
        self._env_initialized = False

    @property
    def experiment(self) -> Any:
        """The object the backend writes through (a writer, a run); the backend by default."""
        return self

    def _init_env(self) -> None:
        """Set up the wrapped library; called once, before the first write, by ``force_init_env``."""

    def add_config(self, config: Any, **kwargs: Any) -> None:
        """Record the run's config (nothing by default)."""

    def add_graph(self, model: Any, data_batch: Any, **kwargs: Any) -> None:
        """Record the model's graph (nothing by default)."""

    def add_image(self, name: str, image: Any, step: int = 0, **kwargs: Any) -> None:
        """Record an image array (nothing by default)."""

    def add_scalar(self, name: str, value: Any, step: int = 0, **kwargs: Any) -> None:
        """Record one scalar (nothing by default)."""

    def add_scalars(
        self,
        scalar_dict: dict,
        step: int = 0,
        file_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Record several scalars (nothing by default)."""

    def close(self) -> None:
        """Release files and connections (nothing by default)."""


def force_init_env(old_func: _F) -> _F:
    """MMEngine's decorator: run the backend's ``_init_env`` once before the decorated method."""

    @wraps(old_func)
    def wrapper(obj: Any, *args: Any, **kwargs: Any) -> Any:
        if not getattr(obj, "_env_initialized", False):
            obj._init_env()
            obj._env_initialized = True
        return old_func(obj, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
