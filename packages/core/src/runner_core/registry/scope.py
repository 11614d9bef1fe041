"""Scopes and registry trees, as downstream libraries declare them.

Every OpenMMLab library declares its registries as children of the root
ones: ``Registry('model', parent=MODELS, locations=['mmdet.models'])``. The
child's *scope* (its library, inferred from the declaring module when not
given) names it in messages and lets ``'mmdet.ResNet'`` pick that library's
class from any registry of the tree. The *default scope* (the library whose
registries answer unscoped names first) is the current :class:`DefaultScope`;
the functions here read and set it.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from ..utils.manager import ManagerError, _lock
from .default_scope import DefaultScope

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


#: scopes that name the root registries, as ported configs write them ('mmengine.LogProcessor')
ROOT_ALIASES = frozenset({"mmengine"})


def subtree(registry: Registry) -> Iterator[Registry]:
    """``registry`` and every registry below it, breadth first (parents before children)."""
    pending = [registry]
    while pending:
        node = pending.pop(0)
        yield node
        pending.extend(node.children.values())


def find_scope(registry: Registry, scope: str) -> Registry | None:
    """The registry of ``scope`` in the tree of ``registry`` (its own subtree first)."""
    for start in (registry, registry.root):
        for node in subtree(start):
            if node.scope == scope or (node.parent is None and scope in ROOT_ALIASES):
                return node
    return None


def normal_name(name: str) -> str:
    """A distribution name as pip compares it (PEP 503): case, '-', '_' and '.' aside."""
    return re.sub(r"[-_.]+", "-", name).lower()


def entry_in_scope(entry: PluginEntry, scope: str) -> bool:
    """An entry point belongs to ``scope`` if its distribution or top-level package is named so."""
    top = entry.target.partition(":")[0].split(".")[0]
    return normal_name(entry.distribution) == normal_name(scope) or top == scope


# scopes whose ``<scope>.registry`` has been imported (or tried), so a lookup tries once
_imported: set[str] = set()

#: where the config being built came from, while it is untrusted data (the config text saved
#: in a checkpoint, read by an inferencer): see ``registry.building_untrusted``
untrusted_source: ContextVar[str | None] = ContextVar("runner_untrusted_config", default=None)


def may_import_scope(scope: str) -> bool:
    """Whether ``<scope>.registry`` may be imported for a scope a config names: not while
    an untrusted config is built, unless that package is imported already (the name could
    be any module on the path, and importing it runs it)."""
    import sys

    return untrusted_source.get() is None or scope in sys.modules


def _importable(scope: str) -> bool:
    return bool(scope) and all(part.isidentifier() for part in scope.split("."))


def import_scope_once(scope: str) -> None:
    """Import ``<scope>.registry`` as a Runner's default scope does: once, never for the
    root's names ('mmengine'), warning when there is none (``runner-cli config check``)."""
    if scope not in _imported:
        _import_or_warn(scope, stacklevel=2)


def _import_or_warn(scope: str, stacklevel: int) -> None:
    """Import ``<scope>.registry`` now, warning if it cannot be (set/init_default_scope)."""
    _imported.add(scope)
    if not _importable(scope) or scope in ROOT_ALIASES:  # 'mmengine': the root, here already
        return
    import warnings

    try:
        importlib.import_module(f"{scope}.registry")
    except ImportError as exc:
        from ..errors import did_you_mean

        missing = isinstance(exc, ModuleNotFoundError) and exc.name == scope.split(".")[0]
        hint = did_you_mean(scope, known_scopes() - {scope}) if missing else ""
        warnings.warn(
            f"default_scope={scope!r}: could not import {scope}.registry ({exc}); names "
            f"are found in {scope}'s child registries only if code already imported "
            f"declared them, else in the root registries.{hint}",
            stacklevel=stacklevel + 1,
        )


def known_scopes() -> set[str]:
    """The scopes a default scope could mean: those of every registry tree, and the
    top-level package of every plugin entry point (a library not imported yet)."""
    from .discovery import all_entries
    from .root import ALL_REGISTRIES

    found = {node.scope for root in ALL_REGISTRIES.values() for node in subtree(root)}
    for group in all_entries().values():
        found.update(entry.target.partition(":")[0].split(".")[0] for entry in group)
    return found


def set_default_scope(scope: str | None, *, name: str | None = None) -> None:
    """Make ``scope``'s registries answer unscoped names first (a Runner's ``default_scope``).

    The current :class:`DefaultScope` becomes one of ``scope`` (called ``name``,
    the Runner's experiment name, or ``scope``; suffixed with the time if the
    name is taken); None removes every DefaultScope, so there is no default
    scope. As in MMEngine, ``<scope>.registry`` is imported so that the library
    declares its child registries; a scope with no such module only warns.
    """
    if scope is None:
        with _lock:
            DefaultScope._instance_dict.clear()
        return
    if not isinstance(scope, str) or not (name is None or isinstance(name, str)):
        raise ManagerError(
            f"default_scope={scope!r} (name={name!r}): the default scope must be a str naming "
            "the library whose registries answer first (e.g. 'mmdet'), or None for none."
        )
    with _lock:
        current = DefaultScope.get_current_instance()
        if (
            current is None
            or current.scope_name != scope
            or (name is not None and current.instance_name != name)
        ):
            DefaultScope._new_current(scope if name is None else name, scope)
    _import_or_warn(scope, stacklevel=2)


def get_default_scope() -> str | None:
    """The ``scope_name`` of the current :class:`DefaultScope` (None if there is none).

    The first time a scope is seen its ``<scope>.registry`` is imported (quietly
    if it does not exist), as MMEngine does before building in the default scope.
    """
    current = DefaultScope.get_current_instance()
    if current is None:
        return None
    scope = current.scope_name
    if scope not in _imported and may_import_scope(scope):
        _imported.add(scope)
        if _importable(scope):
            import_scope_registry(scope)
    return scope


def init_default_scope(scope: str) -> None:
    """MMEngine's ``init_default_scope`` (``mmdet.apis`` calls it before building a model
    outside a Runner): make ``scope`` the default scope.

    The instance is called ``scope``; if that one exists but another scope is current,
    a new ``'<scope>-<datetime>'`` one is made current and a warning is logged, as in
    MMEngine. None removes the default scope (MMEngine asserts).
    """
    if scope is None:
        set_default_scope(None)
        return
    with _lock:
        current = DefaultScope.get_current_instance()
        if current is None or not DefaultScope.check_instance_created(scope):
            DefaultScope.get_instance(scope, scope_name=scope)
        elif current.scope_name != scope:
            import logging

            from ..logging import print_log

            print_log(
                f'The current default scope "{current.scope_name}" is not "{scope}", '
                f'`init_default_scope` will force set the current default scope to "{scope}".',
                logger="current",
                level=logging.WARNING,
            )
            DefaultScope._new_current(scope, scope)  # taken: named '<scope>-<datetime>'
    _import_or_warn(scope, stacklevel=2)


def run_call_scope(scope: str | None) -> AbstractContextManager[None]:
    """Make ``scope`` the default scope for a Runner's run call, whichever Runner was built
    last (``DefaultScope.current_during``)."""
    return DefaultScope.current_during(scope)


def overwrite_default_scope(scope: str | None) -> AbstractContextManager[None]:
    """Make ``scope`` the default scope inside the block (nothing changes for None), so that
    what a ``_scope_`` config builds in turn is looked up in that scope too
    (``DefaultScope.overwrite_default_scope``)."""
    return DefaultScope.overwrite_default_scope(scope)


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
