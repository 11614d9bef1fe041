"""Scopes and registry trees, as downstream libraries declare them.

Every OpenMMLab library declares its registries as children of the root
ones: ``Registry('model', parent=MODELS, locations=['mmdet.models'])``. The
child's *scope* (its library, inferred from the declaring module when not
given) names it in messages and lets ``'mmdet.ResNet'`` pick that library's
class from any registry of the tree.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .discovery import PluginEntry
    from .registry import Registry

_OWN_MODULES = {__name__, __name__.rpartition(".")[0] + ".registry"}


def infer_scope() -> str:
    """The top-level package of the module that declares the registry."""
    frame = inspect.currentframe()
    try:
        while frame is not None:
            module = frame.f_globals.get("__name__", "")
            if module not in _OWN_MODULES:
                return module.split(".")[0] or "__main__"
            frame = frame.f_back
    finally:
        del frame
    return "__main__"


def split_scope_key(key: str) -> tuple[str | None, str]:
    """``'mmdet.ResNet'`` -> ``('mmdet', 'ResNet')``; ``'ResNet'`` -> ``(None, 'ResNet')``."""
    scope, dot, rest = key.partition(".")
    if not dot or ":" in key:
        return None, key
    return scope, rest


def find_scope(registry: Registry, scope: str) -> Registry | None:
    """The registry of ``scope`` in the tree of ``registry`` (its own subtree first)."""
    for start in (registry, registry.root):
        pending = [start]
        while pending:
            node = pending.pop(0)
            if node.scope == scope:
                return node
            pending.extend(node.children.values())
    return None


def _normal(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def entry_in_scope(entry: PluginEntry, scope: str) -> bool:
    """An entry point belongs to ``scope`` if its distribution or top-level package is named so."""
    top = entry.target.partition(":")[0].split(".")[0]
    return _normal(entry.distribution) == _normal(scope) or top == scope


_default_scope: str | None = None


def set_default_scope(scope: str | None) -> None:
    """Make ``scope``'s registries answer unscoped names first (a Runner's ``default_scope``).

    As in MMEngine, ``<scope>.registry`` is imported so that the library
    declares its child registries; a scope with no such module only warns.
    """
    global _default_scope
    _default_scope = scope
    if scope is None:
        return
    import warnings

    try:
        importlib.import_module(f"{scope}.registry")
    except ImportError as exc:
        warnings.warn(
            f"default_scope={scope!r}: could not import {scope}.registry ({exc}); names are "
            "looked up in the root registries only.",
            stacklevel=2,
        )


def get_default_scope() -> str | None:
    return _default_scope


def init_default_scope(scope: str) -> None:
    """MMEngine's ``init_default_scope``: make ``scope`` the default scope (``mmdet.apis``
    calls it before building a model outside a Runner)."""
    set_default_scope(scope)


@contextmanager
def overwrite_default_scope(scope: str | None) -> Iterator[None]:
    """Make ``scope`` the default scope inside the block (nothing changes for None), so that
    what a ``_scope_`` config builds in turn is looked up in that scope too."""
    global _default_scope
    if scope is None:
        yield
        return
    before = _default_scope
    _default_scope = scope
    try:
        yield
    finally:
        _default_scope = before


def import_scope_registry(scope: str) -> bool:
    """Import ``<scope>.registry`` (where a library declares its child registries), as
    MMEngine does for a scoped key; True if it is imported. A scope without one is no error."""
    name = f"{scope}.registry"
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name not in (scope, name):
            raise  # the module exists but needs a missing one: that is the error to see
        return False
    return True
