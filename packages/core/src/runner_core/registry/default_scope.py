"""``DefaultScope``: the library whose registries answer unscoped names first.

MMEngine keeps the default scope as ``DefaultScope`` instances (a
``ManagerMixin``): the latest one created is current, and code far from the
Runner (``mmdet.apis.init_detector``, ``mmpretrain.get_model``) reads or sets
it. The registry consults the current instance, so
``DefaultScope.get_instance('task', scope_name='mmdet')`` makes lookups try
mmdet's registries first; :mod:`.scope`'s functions work on top of it.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterator
from contextlib import contextmanager

from ..utils.manager import ManagerError, ManagerMixin, _lock

__all__ = ["DefaultScope"]

_overwrites = itertools.count()


class DefaultScope(ManagerMixin):
    """A named default scope; ``get_current_instance()`` is the one in force (None if none)."""

    def __init__(self, name: str, scope_name: str) -> None:
        super().__init__(name)
        if not isinstance(scope_name, str):
            raise ManagerError(
                f"DefaultScope(name={name!r}, scope_name={scope_name!r}): scope_name must be "
                f"a str, got {type(scope_name).__name__}; pass the library whose registries "
                "should answer first, e.g. scope_name='mmdet'."
            )
        self._scope_name = scope_name

    @property
    def scope_name(self) -> str:
        """The scope (a library's top-level package) this instance makes the default."""
        return self._scope_name

    def __repr__(self) -> str:
        return f"DefaultScope(name={self.instance_name!r}, scope_name={self._scope_name!r})"

    @classmethod
    def get_current_instance(cls) -> DefaultScope | None:  # type: ignore[override]
        """The latest instance, or None before any: the default scope is optional.

        Read without the lock (every registry lookup asks); only a read that meets
        another thread's change is repeated under it.
        """
        try:
            return next(reversed(cls._instance_dict.values()), None)
        except RuntimeError:  # the dict changed while it was read
            with _lock:
                return next(reversed(cls._instance_dict.values()), None)

    @classmethod
    def _new_current(cls, name: str, scope_name: str) -> DefaultScope:
        """A new instance made current: called ``name``, or ``'<name>-<datetime>'`` if that
        name is taken (an existing instance would not become current again)."""
        with _lock:
            unique = name
            while cls.check_instance_created(unique):
                unique = f"{name}-{datetime.datetime.now()}"
            return cls.get_instance(unique, scope_name=scope_name)

    @classmethod
    @contextmanager
    def current_during(cls, scope_name: str | None) -> Iterator[None]:
        """Make ``scope_name`` current inside the block (a Runner's run call); on leaving,
        only the instance made here goes. Not a snapshot put back, as
        :meth:`overwrite_default_scope` does: run calls in two threads end out of order,
        and a scope set during the call (a hook's ``init_default_scope``) stays, as in
        MMEngine. Nothing is made when ``scope_name`` is None. One is made even when that
        scope is current already: the current one may be another call's, which may end
        first."""
        if scope_name is None:
            yield
            return
        made = cls._new_current(f"run-call-{next(_overwrites)}", scope_name)
        try:
            yield
        finally:
            with _lock:
                if cls._instance_dict.get(made.instance_name) is made:
                    del cls._instance_dict[made.instance_name]

    @classmethod
    @contextmanager
    def overwrite_default_scope(cls, scope_name: str | None) -> Iterator[None]:
        """Make ``scope_name`` current inside the block (None changes nothing); on leaving,
        the instances are what they were before it, as in MMEngine."""
        if scope_name is None:
            yield
            return
        with _lock:
            saved = list(cls._instance_dict.items())
            cls._new_current(f"overwrite-{next(_overwrites)}", scope_name)
        try:
            yield
        finally:
            with _lock:
                cls._instance_dict.clear()
                cls._instance_dict.update(saved)
