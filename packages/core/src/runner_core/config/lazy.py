"""Imports in pure-Python configs that are recorded, never executed.

``from torch.optim import SGD`` in a pure-Python config must not import torch
(nor fail when the package is absent): while the file runs, ``SGD`` is a
:class:`LazyObject`. When loading ends, every lazy object becomes an
:class:`ImportedName`, a ``str`` holding the dotted path (``'torch.optim.SGD'``,
what MMEngine dumps) that can still ``resolve()`` to the real object.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import ConfigError


class LazyObject:
    """A name imported by a pure-Python config; attribute access stays lazy."""

    __slots__ = ("_dotted", "_location")
    _dotted: str
    _location: str | None

    def __init__(self, dotted: str, location: str | None = None) -> None:
        object.__setattr__(self, "_dotted", dotted)
        object.__setattr__(self, "_location", location)

    @property
    def dotted_path(self) -> str:
        return self._dotted

    def __getattr__(self, name: str) -> LazyObject:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return LazyObject(f"{self._dotted}.{name}", self._location)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"cannot set attribute {name!r} on the lazily imported {self._dotted!r} "
            f"({self._location}): config files only record imports, they do not run them"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise ConfigError(
            f"{self._location}: {self._dotted!r} is imported lazily in a pure-Python config "
            "and cannot be called while the config is read; use it as a value "
            f"(e.g. type={self._dotted.rsplit('.', 1)[-1]}) and let the registry build it."
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> LazyObject:
        return self

    def __copy__(self) -> LazyObject:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (LazyObject, (self._dotted, self._location))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LazyObject) and other._dotted == self._dotted

    def __hash__(self) -> int:
        return hash(self._dotted)

    def __repr__(self) -> str:
        return f"LazyObject({self._dotted!r})"

    def __str__(self) -> str:
        return self._dotted


class ImportedName(str):
    """The dotted path of an object a pure-Python config imported.

    It is a plain string to everything that reads the config (JSON, registry
    look-ups, comparisons); ``resolve()`` imports the object when needed.
    """

    def resolve(self) -> Any:
        """Import and return the object this path names."""
        parts = str(self).split(".")
        for split in range(len(parts), 0, -1):
            module_name = ".".join(parts[:split])
            try:
                obj: Any = importlib.import_module(module_name)
            except ImportError:
                continue
            for attr in parts[split:]:
                obj = getattr(obj, attr)
            return obj
        raise ImportError(f"cannot import {str(self)!r}: no part of it is an installed module")


def finalize_lazy(value: Any) -> Any:
    """Replace every :class:`LazyObject` inside containers with an ImportedName, in place."""
    if isinstance(value, LazyObject):
        return ImportedName(value.dotted_path)
    if isinstance(value, dict):
        for key, item in list(dict.items(value)):
            new = finalize_lazy(item)
            if new is not item:
                dict.__setitem__(value, key, new)
        return value
    if isinstance(value, list):
        for index, item in enumerate(value):
            new = finalize_lazy(item)
            if new is not item:
                value[index] = new
        return value
    if isinstance(value, tuple):
        items = tuple(finalize_lazy(item) for item in value)
        if any(a is not b for a, b in zip(items, value)):
            return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
        return value
    return value


def to_builtin(value: Any) -> Any:
    """Copy into builtin containers: dicts, lists, tuples and plain strings."""
    if isinstance(value, dict):
        return {to_builtin(k): to_builtin(v) for k, v in dict.items(value)}
    if isinstance(value, list):
        return [to_builtin(v) for v in value]
    if isinstance(value, tuple):
        return tuple(to_builtin(v) for v in value)
    if isinstance(value, LazyObject):
        return value.dotted_path
    if isinstance(value, str) and type(value) is not str:
        return str(value)
    return value
