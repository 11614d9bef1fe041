"""Imports in pure-Python configs that are recorded, never executed.

``from torch.optim import SGD`` in a pure-Python config must not import torch
(nor fail when the package is absent): while the file runs, ``SGD`` is a
:class:`LazyObject`. When loading ends, every lazy object becomes an
:class:`ImportedName`, a ``str`` holding the dotted path (``'torch.optim.SGD'``,
what MMEngine dumps). ``ConfigDict`` hands out ``resolve()``'s result, the
real object, whenever such a value is read (MMEngine's ``LazyObject.build()``),
so the import happens on first read, never while the config loads. Functions
the config defines see their file's imports as LazyObjects that import on use
once reading is over (see :class:`LazyObject`).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

from .errors import ConfigImportError, ConfigModuleNotFoundError, ConfigTypeError
from .execution import reading_config
from .mmengine_paths import is_mmengine_path, mmengine_path_hint, ours_for

# dotted path -> imported object: a value read many times is imported once
_RESOLVED: dict[str, Any] = {}


class LazyObject:
    """A name imported by a pure-Python config.

    While the config is read it only records: attribute access gives another
    LazyObject, calling it is an error. Code of the config that runs after
    reading (a function, a method) uses it for real: calling it, reading an
    attribute, ``isinstance`` or a class statement imports the object, and the
    config's own global name (``home``) is rebound to it, so from then on the
    function sees the real module or class at plain-lookup speed.
    """

    __slots__ = ("_dotted", "_location", "_home")
    _dotted: str
    _location: str | None
    _home: tuple[dict[str, Any], str] | None

    def __init__(
        self,
        dotted: str,
        location: str | None = None,
        home: tuple[dict[str, Any], str] | None = None,
    ) -> None:
        object.__setattr__(self, "_dotted", dotted)
        object.__setattr__(self, "_location", location)
        object.__setattr__(self, "_home", home)

    @property
    def dotted_path(self) -> str:
        return self._dotted

    def _real(self) -> Any:
        """The imported object; the config global that held this placeholder now holds it."""
        real = ImportedName(self._dotted, self._location).resolve()
        if self._home is not None:
            namespace, name = self._home
            if namespace.get(name) is self:
                namespace[name] = real
                _settle(namespace)
        return real

    def _refuse(self, action: str) -> ConfigTypeError:
        name = self._dotted.rsplit(".", 1)[-1]
        return ConfigTypeError(
            f"{self._location}: {self._dotted!r} is imported lazily in a pure-Python config "
            f"and cannot be {action} while the config is read (by the file's top-level code, "
            "or a function it calls there): reading a config never imports packages. Use it "
            f"as a value (e.g. type={name}) and let the registry build it; functions and "
            "methods the config defines may use it when they run after the config is read."
        )

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        if reading_config():
            return LazyObject(f"{self._dotted}.{name}", self._location)
        real = self._real()
        try:
            return getattr(real, name)
        except AttributeError:
            if not isinstance(real, types.ModuleType):
                raise
            submodule = f"{real.__name__}.{name}"  # `import a.b` binds `a` and imports a.b
            try:
                return importlib.import_module(submodule)
            except ModuleNotFoundError as exc:
                if exc.name != submodule:
                    raise
            raise

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"cannot set attribute {name!r} on the lazily imported {self._dotted!r} "
            f"({self._location}): config files only record imports, they do not run them"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if reading_config():
            raise self._refuse("called")
        return self._real()(*args, **kwargs)

    def __instancecheck__(self, instance: Any) -> bool:
        if reading_config():
            raise self._refuse("used in isinstance()")
        return isinstance(instance, self._real())

    def __subclasscheck__(self, subclass: type) -> bool:
        if reading_config():
            raise self._refuse("used in issubclass()")
        return issubclass(subclass, self._real())

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[Any, ...]:
        """A class statement in a function body gets the real base (top-level ones too)."""
        return (self._real(),)

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


def bind_globals(namespace: dict[str, Any]) -> None:
    """Prepare a config's globals, once it is read, for the functions it defines.

    Each placeholder becomes one that rebinds its name to the real object on
    first use; those whose module is imported already are rebound now.
    """
    for name, value in list(namespace.items()):
        if isinstance(value, LazyObject):
            namespace[name] = LazyObject(value._dotted, value._location, (namespace, name))
    _settle(namespace)


def _settle(namespace: dict[str, Any]) -> None:
    """Rebind the config's other global placeholders whose module is already imported.

    A name handed on untouched (``dtype=float32``, ``except MyError:``,
    ``x * SCALE``) cannot import itself; once the config's code runs, what the
    imported modules provide is real for it too. Nothing is imported here: the
    other names stay placeholders (documented: import such names inside the
    function).
    """
    for name, value in list(namespace.items()):
        if not isinstance(value, LazyObject) or value._home is None:
            continue
        parts = value._dotted.split(".")
        for split in range(len(parts), 0, -1):
            obj = sys.modules.get(".".join(parts[:split]))
            if obj is None:
                continue
            try:
                for attr in parts[split:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                break  # left as it is: using it reports the failure
            namespace[name] = obj
            break


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
        if is_mmengine_path(dotted):  # a config written for MMEngine: read as ours
            ours = ours_for(dotted)
            if ours is not None:
                _RESOLVED[dotted] = ours
                return ours
        if dotted.startswith("."):  # importlib's bare "the 'package' argument is required"
            where = f"{self.location}: " if self.location else ""
            module = dotted.rpartition(".")[0] or dotted
            raise ConfigTypeError(
                f"{where}the config imports {dotted!r} with a relative import (from {module} "
                "import ...) outside `with read_base():`; only base configs may be imported "
                "relatively. Import it by its absolute module name (a package on sys.path, "
                "e.g. from my_project.helpers import Helper), or move the import into "
                "`with read_base():` if the module is a base config."
            )
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
                    from ..errors import did_you_mean

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
        fix = (
            mmengine_path_hint(str(self))
            if is_mmengine_path(str(self))
            else "Install the package that provides it, or fix the import in the config"
        )
        error = kind(
            f"{where}the config imports {str(self)!r}, which cannot be imported ({reason}). "
            f"{fix}; the config loads and dumps without it, only reading this value needs it."
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
        return value._real()
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
