"""Imports in pure-Python configs that are recorded, never executed.

``from torch.optim import SGD`` in a pure-Python config must not import torch
(nor fail when the package is absent): while the file runs, ``SGD`` is a
:class:`LazyObject`. When loading ends, every lazy object becomes an
:class:`ImportedName`, a ``str`` holding the dotted path (``'torch.optim.SGD'``,
what MMEngine dumps). ``ConfigDict`` hands out ``resolve()``'s result, the
real object, whenever such a value is read (MMEngine's ``LazyObject.build()``),
so the import happens on first read, never while the config loads.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import ConfigError, ConfigImportError, ConfigModuleNotFoundError

# dotted path -> imported object: a value read many times is imported once
_RESOLVED: dict[str, Any] = {}


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

    Stored in the config as a string, so dumping, JSON and registry look-ups
    see ``'torch.optim.AdamW'``; reading it through a ``ConfigDict`` returns
    ``resolve()``, the imported object. ``location`` (file and line of the
    import) goes into the error when the import fails.
    """

    location: str | None = None

    def __new__(cls, dotted: str, location: str | None = None) -> ImportedName:
        self = super().__new__(cls, dotted)
        if location is not None:
            self.location = location
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (ImportedName, (str(self), self.location))

    def __copy__(self) -> ImportedName:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> ImportedName:
        return self

    def resolve(self) -> Any:
        """Import and return the object this path names (the longest importable module)."""
        dotted = str(self)
        if dotted in _RESOLVED:
            return _RESOLVED[dotted]
        parts = dotted.split(".")
        for split in range(len(parts), 0, -1):
            module_name = ".".join(parts[:split])
            try:
                obj: Any = importlib.import_module(module_name)
            except ImportError as exc:
                missing = getattr(exc, "name", None) or ""
                not_a_module = isinstance(exc, ModuleNotFoundError) and (
                    module_name == missing or module_name.startswith(missing + ".")
                )
                if not_a_module and split > 1:
                    continue  # 'torch.optim.AdamW' is no module: try 'torch.optim'
                kind = (
                    ConfigModuleNotFoundError
                    if isinstance(exc, ModuleNotFoundError)
                    else ConfigImportError
                )
                raise self._error(kind, f"{type(exc).__name__}: {exc}") from exc
            for attr in parts[split:]:
                if not hasattr(obj, attr):
                    from runner_core.errors import did_you_mean

                    owner = getattr(obj, "__name__", module_name)
                    raise self._error(
                        ConfigImportError,
                        f"{owner!r} has no attribute {attr!r}."
                        + did_you_mean(attr, [n for n in dir(obj) if not n.startswith("_")]),
                    )
                obj = getattr(obj, attr)
            _RESOLVED[dotted] = obj
            return obj
        raise AssertionError("unreachable: a one-part path either imports or raises")

    def _error(self, kind: type[ConfigImportError], reason: str) -> ConfigImportError:
        where = f"{self.location}: " if self.location else ""
        error = kind(
            f"{where}the config imports {str(self)!r}, which cannot be imported ({reason}). "
            "Install the package that provides it, or fix the import in the config; the "
            "config loads and dumps without it, only reading this value needs it."
        )
        error.reason = reason  # type: ignore[attr-defined]  # for messages that wrap it
        return error


def real_class_base(value: Any, class_name: str, location: str) -> Any:
    """The real object behind a lazily imported base of ``class class_name(...)``.

    A class statement needs real bases (Python calls the type of a base to
    make the class), so a config's class that derives from a lazily imported
    class imports it right there; other bases pass through unchanged.
    """
    if not isinstance(value, LazyObject):
        return value
    try:
        return ImportedName(value.dotted_path, value._location).resolve()
    except ConfigImportError as exc:
        reason = getattr(exc, "reason", str(exc))
        imported_at = f" (imported at {value._location})" if value._location else ""
        raise type(exc)(
            f"{location}: class {class_name} derives from {value.dotted_path!r}{imported_at}, "
            "so reading the config imports it for real (a class needs its real base class), "
            f"and that failed ({reason}). Install the package that "
            f"provides it, or define {class_name} in a module of your project and name it in "
            f"the config (import it, or register it and write type='{class_name}')."
        ) from exc


def finalize_lazy(value: Any) -> Any:
    """Replace every :class:`LazyObject` inside containers with an ImportedName, in place."""
    if isinstance(value, LazyObject):
        return ImportedName(value.dotted_path, value._location)
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
