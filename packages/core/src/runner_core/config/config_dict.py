"""``ConfigDict``: a dict whose keys read and write as attributes.

It follows MMEngine's ``ConfigDict`` closely because real configs rely on its
quirks: plain dicts stored into it become ``ConfigDict`` (lists and tuples are
rebuilt around them), ``update`` merges nested dicts instead of replacing
them, a missing key is an error rather than a new empty child, and ``pop``
of a missing key returns None.

Values a pure-Python config imported (``type=AdamW``) are stored as
:class:`ImportedName` strings and imported when read: item and attribute
access, ``get``, ``pop``, ``setdefault``, ``items()`` and ``values()`` return
the real object, as MMEngine's do. ``dict`` itself (``dict(cfg)``,
``dict.items(cfg)``, copying, pickling, dumping) sees the stored strings.

``freeze()`` makes a dict and the dicts nested in it refuse new keys (a
KeyError), as MMEngine's (addict's) does: a typo in ``cfg.modle = ...`` after
a config is final fails instead of adding a key nothing reads.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import ItemsView, Iterable, Iterator, Mapping, ValuesView
from typing import Any, TypeVar

from ..errors import did_you_mean
from .errors import ConfigAttributeError, ConfigKeyError, MissingKeyError
from .lazy import ImportedName, to_builtin

_C = TypeVar("_C", bound="ConfigDict")  # copies are of the subclass copied


def resolve_value(value: Any) -> Any:
    """The object an :class:`ImportedName` names (imported now); any other value as is."""
    return value.resolve() if isinstance(value, ImportedName) else value


class _ResolvedItems(ItemsView[Any, Any]):
    """``ConfigDict.items()``: a live view whose values are read like ``cfg[key]``."""

    _mapping: ConfigDict  # set by ItemsView.__init__

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        build = self._mapping.build_lazy
        for key, value in dict.items(self._mapping):
            yield key, build(value)

    def __repr__(self) -> str:
        return f"config_dict_items({list(self)!r})"


class _ResolvedValues(ValuesView[Any]):
    """``ConfigDict.values()``: a live view whose values are read like ``cfg[key]``."""

    _mapping: ConfigDict  # set by ValuesView.__init__

    def __iter__(self) -> Iterator[Any]:
        build = self._mapping.build_lazy
        for value in dict.values(self._mapping):
            yield build(value)

    def __repr__(self) -> str:
        return f"config_dict_values({list(self)!r})"


def refuse_method_attribute(owner: Any, name: str, *readers: type) -> None:
    """``cfg.keys = [...]`` would store a key that ``cfg.keys`` (the method) never reads
    back; MMEngine raises AttributeError "object attribute 'keys' is read-only".
    ``readers``: other classes whose attributes ``owner`` reads first (Config's dict)."""
    if name.startswith("__") or not any(hasattr(c, name) for c in (type(owner), *readers)):
        return
    kind = type(owner).__name__
    raise ConfigAttributeError(
        f"'{kind}' object attribute {name!r} is read-only: {name} is a method of {kind}, so "
        f"cfg.{name} reads the method, never a key. Set the key as an item instead: "
        f"cfg[{name!r}] = ... (and read it as cfg[{name!r}])."
    )


class ConfigDict(dict):
    """A ``dict`` with attribute access, converting nested dicts on the way in."""

    #: True: values a pure-Python config imported are read as their import path
    #: (:class:`ImportedName`), not imported (MMEngine's flag, set while it parses)
    lazy = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        if len(args) > 1:
            raise TypeError(f"ConfigDict expected at most 1 positional argument, got {len(args)}")
        if args and args[0]:
            source = args[0]
            pairs: Iterable[tuple[Any, Any]]
            if isinstance(source, Mapping):
                pairs = dict.items(source) if isinstance(source, dict) else source.items()
            else:
                pairs = source
            for key, value in pairs:
                self[key] = value
        for key, value in kwargs.items():
            self[key] = value

    @classmethod
    def _hook(cls, item: Any) -> Any:
        """Convert plain dicts (also inside lists and tuples) to ConfigDict.

        A value that is already a ConfigDict is kept as the same object, as in
        MMEngine; lists and tuples are always rebuilt.
        """
        if type(item) in (dict, OrderedDict):
            return cls(item)
        if isinstance(item, (list, tuple)):
            items = [cls._hook(elem) for elem in item]
            if hasattr(item, "_fields"):  # a namedtuple takes its fields as arguments
                return type(item)(*items)
            return type(item)(items)
        return item

    # -- item and attribute access ------------------------------------------------
    def __setitem__(self, key: Any, value: Any) -> None:
        if self.__dict__.get("__frozen") and not dict.__contains__(self, key):
            raise self._frozen_error(f"cannot add the key {key!r}", key)
        super().__setitem__(key, self._hook(value))

    def _frozen_error(self, what: str, key: Any = None) -> ConfigKeyError:
        keys = [k for k in dict.keys(self) if isinstance(k, str)]
        hint = did_you_mean(key, keys) if isinstance(key, str) else ""
        return ConfigKeyError(
            f"{what}: this {type(self).__name__} is frozen (freeze() was called), so it "
            f"takes no new keys. Call unfreeze() first, or set one of its keys.{hint}"
        )

    def __getitem__(self, key: Any) -> Any:
        return self.build_lazy(dict.__getitem__(self, key))

    def __missing__(self, key: Any) -> Any:
        raise KeyError(key)

    def get(self, key: Any, default: Any = None) -> Any:
        return self.build_lazy(dict.get(self, key, default))

    def pop(self, key: Any, default: Any = None) -> Any:
        """Remove ``key`` and return its value; a missing key gives ``default`` (None).

        MMEngine's ``ConfigDict.pop``: ``cfg.model.pop('init_cfg')`` is the
        idiom for "drop it if present", so a missing key is not an error.
        """
        return self.build_lazy(dict.pop(self, key, default))

    def build_lazy(self, value: Any) -> Any:
        """The real object for a value a pure-Python config imported; any other value as is.

        MMEngine's hook for code that reads values with ``dict`` methods (which
        see the stored import path) and wants what item access would give.
        While ``lazy`` is True the value is returned as it is stored.
        """
        return value if self.lazy else resolve_value(value)

    def items(self) -> _ResolvedItems:  # type: ignore[override]
        return _ResolvedItems(self)

    def values(self) -> _ResolvedValues:  # type: ignore[override]
        return _ResolvedValues(self)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            keys = [k for k in dict.keys(self) if isinstance(k, str)]
            hint = did_you_mean(name, keys)
            raise AttributeError(
                f"'{type(self).__name__}' object has no attribute {name!r}"
                + (f".{hint}" if hint else "")
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        refuse_method_attribute(self, name)
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            # MMEngine raises KeyError here; Python's own convention is AttributeError
            raise MissingKeyError(
                f"cannot delete {name!r}: this {type(self).__name__} has no such key "
                "(cfg.pop(key) drops a key only if it is present)."
            ) from None

    # -- dict behaviour that MMEngine configs rely on --------------------------------
    def update(self, *args: Any, **kwargs: Any) -> None:
        """Merge recursively: a dict value updates an existing dict value in place."""
        if len(args) > 1:
            raise TypeError(f"update expected at most 1 positional argument, got {len(args)}")
        other: dict[Any, Any] = {}
        if args:
            source = args[0]
            if isinstance(source, Mapping):
                other.update(dict.items(source) if isinstance(source, dict) else source.items())
            else:
                other.update(source)
        other.update(kwargs)
        for key, value in other.items():
            current = dict.get(self, key)
            if key in self and isinstance(current, dict) and isinstance(value, dict):
                current.update(value)
            else:
                self[key] = value

    def merge(self, other: Mapping[Any, Any]) -> None:
        """Merge ``other`` into this dict in place, honouring ``_delete_=True``.

        Nested dicts merge key by key (this dict's keys first, then new ones);
        a dict with ``_delete_=True`` drops what it replaces; any other value
        (lists included) replaces. Both sides are deep-copied first.
        """
        if self.__dict__.get("__frozen"):  # MMEngine's refuses it too, after emptying the dict
            raise self._frozen_error("merge() refused")
        missing = object()

        def combine(new: Any, old: Any) -> Any:
            if isinstance(new, dict):
                if not isinstance(old, dict):
                    new.pop("_delete_", None)
                    return new
                if new.pop("_delete_", False):
                    old = {}
                keys = list(dict.fromkeys([*old.keys(), *new.keys()]))
                return {
                    key: combine(dict.get(new, key, missing), dict.get(old, key, missing))
                    for key in keys
                    if key != "_delete_"
                }
            return old if new is missing else new

        merged = combine(copy.deepcopy(dict(other)), copy.deepcopy(dict(self)))
        dict.clear(self)
        for key, value in merged.items():
            self[key] = value

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def freeze(self, shouldFreeze: bool = True) -> None:  # noqa: N803 (addict's name)
        """Refuse new keys here and in the nested dicts (a KeyError); ``False`` undoes it.

        Existing keys can still be set, and keys removed (as in MMEngine);
        copies are not frozen.
        """
        object.__setattr__(self, "__frozen", shouldFreeze)
        for value in dict.values(self):
            if isinstance(value, ConfigDict):
                value.freeze(shouldFreeze)

    def unfreeze(self) -> None:
        """Take new keys again, here and in the nested dicts."""
        self.freeze(False)

    def copy(self: _C) -> _C:
        return type(self)(self)

    def deepcopy(self: _C) -> _C:
        """A deep copy (``copy.deepcopy(cfg)``; MMEngine's method)."""
        return copy.deepcopy(self)

    def __copy__(self: _C) -> _C:
        return self.copy()

    def __deepcopy__(self: _C, memo: dict[int, Any]) -> _C:
        other = type(self)()
        memo[id(self)] = other
        for key, value in dict.items(self):
            dict.__setitem__(other, copy.deepcopy(key, memo), copy.deepcopy(value, memo))
        return other

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (), None, None, iter(dict.items(self)))

    def __or__(self, other: Any) -> ConfigDict:
        merged = self.copy()
        dict.update(merged, other)
        return merged

    def __ior__(self: _C, other: Any) -> _C:
        """``cfg |= other`` is :meth:`update` (addict's: nested dicts merge, and a frozen
        dict refuses new keys; ``dict.__ior__`` went around both)."""
        self.update(other)
        return self

    def to_dict(self) -> dict[Any, Any]:
        """Return plain builtin containers (dicts; lists and tuples kept)."""
        return to_builtin(self)

    def __repr__(self) -> str:
        # a plain dict's repr, as MMEngine prints configs (print(cfg.model))
        return dict.__repr__(self)
