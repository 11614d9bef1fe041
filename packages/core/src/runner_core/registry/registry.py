"""The Registry: find buildable things by name, build them from configs.

``get(key)`` returns None for a name no one offers (as MMEngine's does);
``lookup(key)`` raises a RegistryError that says what is known instead.
Resolution order for both:

1. in-process registrations (``@REG.register_module()``) — they win;
2. ``'<distribution>::<Key>'`` picks the entry point of one distribution
   (the way out when two plugins offer the same key);
3. entry points of this registry's group (``runner.<name>``), imported lazily:
   exactly one module per lookup;
4. the registry's fallback (e.g. every ``torch.optim`` optimizer by class name);
5. the parent registry, and its parent (a downstream library's child registry
   sees everything of the root one);
6. a dotted import path, ``'pkg.mod:Name'`` or ``'pkg.mod.Name'``.

A scoped key ``'<scope>.<Key>'`` (MMEngine's ``'mmdet.ResNet'``) is first
looked up in the registry of that scope in the tree, then among the entry
points of the distribution (or package) of that name; ``<scope>.registry``
is imported first when that scope is not in the tree yet (as MMEngine does).
On a miss, the ``locations`` modules are imported once (they register their
classes) and the lookup is tried again.
"""

from __future__ import annotations

import importlib
import inspect
import re
import warnings
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeVar, overload

from ..errors import (
    BuildError,
    PluginError,
    RegistryDeclarationError,
    RegistryDeclarationTypeError,
    RegistryError,
    RegistryImportError,
    did_you_mean,
    stacklevel_outside_runner_core,
)
from . import discovery
from . import scope as _scopes
from .scope import (
    ROOT_ALIASES,
    entry_in_scope,
    find_scope,
    get_default_scope,
    import_scope_registry,
    normal_name,
)

_MISSING = object()
_T = TypeVar("_T")
#: scopes already warned of (or found installed) by ``switch_scope_and_registry``
_WARNED_SCOPES: set[str] = set()


def _dotted_splits(path: str) -> Iterator[tuple[str, list[str]]]:
    """The ``(module, attribute path)`` readings of ``'pkg.mod:Name'`` (one) or
    ``'pkg.mod.Name'`` (the longest module first)."""
    if ":" in path:
        module_name, _, attr = path.partition(":")
        yield module_name, attr.split(".")
        return
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        yield ".".join(parts[:cut]), parts[cut:]


def import_dotted(path: str) -> Any:
    """Import ``'pkg.mod:Name'`` or ``'pkg.mod.Name'``; raise ImportError/AttributeError."""
    for module_name, attrs in _dotted_splits(path):
        try:
            obj: Any = importlib.import_module(module_name)
        except ImportError:
            if ":" in path:  # the one reading: its error is the answer
                raise
            continue
        for part in attrs:
            obj = getattr(obj, part)
        return obj
    raise ImportError(f"cannot import {path!r}")


#: where the config being built came from, while it is untrusted data (the config text
#: saved in a checkpoint, read by an inferencer): its dotted ``type`` paths are then limited
#: (``_check_untrusted``), since building one imports a module and calls what it names
_untrusted_source = _scopes.untrusted_source


@contextmanager
def building_untrusted(source: str) -> Iterator[None]:
    """Build from a config read from untrusted data, named by ``source`` in errors.

    Registered names (and entry points, and scoped names) resolve as always; a
    dotted path resolves only to a torch module class of a module this process
    has imported already: no module is imported for it, and no other class or
    function is called (``'subprocess.run'`` or ``'os.system'`` would run
    anything; ``'numpy.memmap'`` would overwrite a file).
    """
    token = _untrusted_source.set(source)
    try:
        yield
    finally:
        _untrusted_source.reset(token)


def _already_imported(path: str) -> Any:
    """``path``'s object when its module is imported already, else None (nothing imported):
    :func:`import_dotted`'s readings, looked up in ``sys.modules`` only."""
    import sys

    for module_name, attrs in _dotted_splits(path):
        obj: Any = sys.modules.get(module_name)
        if obj is None:
            continue
        for part in attrs:
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return obj
    return None


def _check_untrusted(registry: str, key: str, obj: Any) -> Any:
    """``obj`` when an untrusted config may build it (a torch module class), else an error."""
    import sys

    nn = getattr(sys.modules.get("torch"), "nn", None)
    if isinstance(obj, type) and nn is not None and issubclass(obj, nn.Module):
        return obj
    raise RegistryError(
        f"{key!r} is not a key of the {registry} registry, and {_untrusted_source.get()} "
        "names other types only as torch module classes of packages already imported: "
        "building anything else it names could run any code (the text comes with the "
        "checkpoint, not from you). Register the class and write its name, or, if you "
        "trust the checkpoint, pass its config file (model='<config file>')."
    )


class Registry:
    """A name -> object table for one kind of buildable thing.

    The first arguments are MMEngine's, so downstream declarations work as
    written: ``Registry('model', parent=MODELS, scope='mmdet',
    locations=['mmdet.models'])``.

    Args:
        name: the registry's name, e.g. ``'hook'``; shown in errors.
        build_func: what ``build`` calls, as MMEngine calls it:
            ``build_func(cfg, *args, **kwargs, registry=registry)``. A child
            without one uses its parent's; a root one ``build_from_cfg``.
        parent: a registry to fall back to for names this one does not know.
        scope: the library this registry belongs to (default: the top-level
            package of the declaring module); used in messages and scoped keys.
        locations: modules imported on the first miss, to register their classes.
        group: the entry-point group it reads, ``'runner.hooks'`` (default: the
            parent's, else ``runner.<name>s``; none for a root registry declared
            outside runner_core under a standard registry's name, such as a
            library's own ``Registry('model')``, which starts empty as in
            MMEngine). A string as second positional argument is taken as the
            group.
        fallback: called with a key no one registered; returns the object or None.
    """

    def __init__(
        self,
        name: str,
        build_func: Callable[..., Any] | str | None = None,
        parent: Registry | None = None,
        scope: str | None = None,
        locations: list[str] | None = None,
        *,
        group: str | None = None,
        fallback: Callable[[str], Any] | None = None,
    ) -> None:
        if isinstance(build_func, str):  # Registry('thing', 'runner.things'): the group
            group = build_func
            build_func = None
        if parent is not None and not isinstance(parent, Registry):
            raise RegistryDeclarationTypeError(
                f"Registry({name!r}): parent must be a Registry, got {type(parent).__name__}."
            )
        if scope is not None and not isinstance(scope, str):
            raise RegistryDeclarationTypeError(
                f"Registry({name!r}): scope must be a package name (a str), got {scope!r}."
            )
        self.name = name
        #: the config field that names this registry's entries (in conflict advice)
        self.chosen_by = "type"
        # set to the module-level name by registry.root; a library's child is declared under
        # its parent's name (mmdet's MODELS = Registry('model', parent=MMENGINE_MODELS))
        self.var_name: str = parent.var_name if parent is not None else name.upper()
        self.parent = parent
        self.group: str = group or (parent.group if parent is not None else _own_group(name))
        self._scope = scope if scope is not None else _scopes.infer_scope()
        self._locations = list(locations or [])
        self._locations_imported = not self._locations
        self._locations_failed: RegistryImportError | None = None  # raised again on each lookup
        self.children: dict[str, Registry] = {}
        if parent is not None:
            if self._scope in parent.children:
                raise RegistryDeclarationError(
                    f"Registry({name!r}, scope={self._scope!r}): scope {self._scope!r} exists "
                    f"in the {parent.name} registry already (declared by "
                    f"{parent.children[self._scope]!r}); a library declares one child per "
                    "registry tree: import the existing one, or pass another scope=."
                )
            parent.children[self._scope] = self
        self._fallback = fallback
        if build_func is None:
            from .build_functions import build_from_cfg

            build_func = parent.build_func if parent is not None else build_from_cfg
        self.build_func: Callable[..., Any] = build_func
        self._local: dict[str, Any] = {}
        self._loaded: dict[str, Any] = {}  # entry points already imported
        self._dotted: set[str] = set()  # the keys of _loaded found as dotted import paths
        self._origins: dict[str, discovery.PluginEntry] = {}  # key -> the entry point it came from

    # -- MMEngine's tree --------------------------------------------------------
    @property
    def scope(self) -> str:
        return self._scope

    @property
    def root(self) -> Registry:
        node = self
        while node.parent is not None:
            node = node.parent
        return node

    @property
    def module_dict(self) -> dict[str, Any]:
        """The in-process registrations, live as MMEngine's (popping a name unregisters it).

        Entry points are not in it: ``keys()`` lists them, from metadata.
        """
        return self._local

    @property
    def _module_dict(self) -> dict[str, Any]:
        """MMEngine's private name for ``module_dict``; much downstream code reads it."""
        return self._local

    # MMEngine's other private names that downstream code reaches for, as thin aliases
    @property
    def _children(self) -> Mapping[str, Registry]:
        """``children``, read-only: a child joins its parent by ``Registry(parent=...)``."""
        return MappingProxyType(self.children)

    @property
    def _imported(self) -> bool:
        """Whether the ``locations`` modules are imported (MMEngine's flag)."""
        return self._locations_imported

    def _get_root_registry(self) -> Registry:
        """``root``, as MMEngine's method."""
        return self.root

    def _search_child(self, scope: str) -> Registry | None:
        """The registry of ``scope`` in this registry's subtree (itself first), None if
        there is none, as MMEngine's."""
        return next((node for node in _scopes.subtree(self) if node.scope == scope), None)

    def _register_module(
        self, module: Any, module_name: str | list[str] | None = None, force: bool = False
    ) -> None:
        """MMEngine's ``_register_module(module, module_name, force)``: ``register_module``."""
        self.register_module(name=module_name, force=force, module=module)

    @staticmethod
    def infer_scope() -> str:
        """The top-level package of the calling module (a Registry's default scope)."""
        return _scopes.infer_scope()

    @staticmethod
    def split_scope_key(key: str) -> tuple[str | None, str]:
        """``'mmdet.ResNet'`` -> ``('mmdet', 'ResNet')``; ``'ResNet'`` -> ``(None, 'ResNet')``."""
        return _scopes.split_scope_key(key)

    @contextmanager
    def switch_scope_and_registry(self, scope: str | None) -> Iterator[Registry]:
        """Yield the registry of ``scope`` in this tree (this one if there is none), with
        ``scope`` the default scope inside the block; None keeps the default scope and
        yields its registry, as MMEngine's (mmcv's ``build_conv_layer`` relies on it).

        How a config's ``_scope_='mmdet'`` builds from the mmdet registry.
        """
        if scope is None:
            current = get_default_scope()
            found = find_scope(self, current) if current is not None else None
            yield found if found is not None else self
            return
        with _scopes.overwrite_default_scope(scope):
            found = find_scope(self.root, scope)
            if found is None and _scopes.may_import_scope(scope) and import_scope_registry(scope):
                found = find_scope(self.root, scope)
            if found is None:
                self._warn_unknown_scope(scope)
            yield found if found is not None else self

    def _warn_unknown_scope(self, scope: str) -> None:
        """MMEngine's warning for a scope with no registry in this tree, once per scope, when
        nothing of that name is installed either (a plugin registering through entry points
        has no registry of its own, and its distribution is its scope)."""
        from ..utils.misc import is_installed

        if scope in _WARNED_SCOPES or scope == self.scope or scope in ROOT_ALIASES:
            return
        _WARNED_SCOPES.add(scope)
        # a distribution's name too ('runner-hooks-standard'); not a dotted name, which
        # find_spec would answer by importing its parent
        if "." not in scope and is_installed(scope):
            return
        known = sorted({node.scope for node in _scopes.subtree(self.root) if node.scope})
        warnings.warn(
            f"No {self.name} registry has scope {scope!r} and no package of that name is "
            f"installed, so the {self.root.scope!r} registry builds instead; check "
            f"_scope_ / default_scope.{did_you_mean(scope, known)}",
            stacklevel=stacklevel_outside_runner_core(),
        )

    def import_from_location(self) -> bool:
        """Import the ``locations`` modules once; True if this call imported them."""
        if self._locations_imported:
            return False
        if self._locations_failed is not None:  # every lookup says why, as MMEngine's does;
            raise self._locations_failed  # importing again would register its first classes twice
        for location in self._locations:
            try:
                importlib.import_module(location)
            except ImportError as exc:
                failed = RegistryImportError(
                    f"The {self.name} registry of scope {self._scope!r} could not import its "
                    f"location {location!r} ({type(exc).__name__}: {exc}); fix the locations= "
                    "list of that Registry(...) declaration or install the package."
                )
                self._locations_failed = failed
                raise failed from exc
        self._locations_imported = True
        return True

    # -- registration -------------------------------------------------------
    # typed so that a decorated class or function keeps its type for type checkers
    @overload
    def register_module(
        self,
        name: str | list[str] | tuple[str, ...] | None = None,
        force: bool = False,
        module: None = None,
    ) -> Callable[[_T], _T]: ...
    @overload
    def register_module(
        self,
        name: str | list[str] | tuple[str, ...] | None = None,
        force: bool = False,
        *,
        module: _T,
    ) -> _T: ...
    @overload
    def register_module(
        self, name: str | list[str] | tuple[str, ...] | None, force: bool, module: _T
    ) -> _T: ...
    def register_module(
        self,
        name: str | list[str] | tuple[str, ...] | None = None,
        force: bool = False,
        module: Any = None,
    ) -> Any:
        """Register a class or function, as a decorator or directly with ``module=``."""
        if name is not None and not (
            isinstance(name, str)
            or (isinstance(name, (list, tuple)) and all(isinstance(n, str) for n in name))
        ):
            raise TypeError(f"name must be a str or a list of str, got {name!r}")
        if isinstance(name, tuple):  # MMEngine's is_seq_of(name, str) takes a tuple too
            name = list(name)
        if not isinstance(force, bool):  # MMEngine's check
            raise TypeError(f"force must be a bool, got {type(force).__name__}")

        def _register(obj: Any) -> Any:
            if not callable(obj):  # MMEngine's check: a registry holds classes and functions
                raise TypeError(
                    f"register_module() registers a class or a function, got "
                    f"{type(obj).__name__}: {obj!r:.80}"
                )
            names = [obj.__name__] if name is None else [name] if isinstance(name, str) else name
            for key in names:
                if not force and key in self._local and self._local[key] is not obj:
                    raise RegistryError(
                        f"{key!r} is already registered in the {self.name} registry "
                        f"(by {_describe(self._local[key])}). Pass force=True to replace it, "
                        f"or register under another name."
                    )
                self._local[key] = obj
            return obj

        if module is not None:
            return _register(module)
        return _register

    # -- lookup ---------------------------------------------------------------
    def keys(self) -> list[str]:
        """Every known key, from registrations and metadata; imports nothing."""
        found = set(self._local)
        found.update(e.key for e in discovery.entries(self.group))
        return sorted(found)

    def entry_points(self, key: str | None = None) -> list[discovery.PluginEntry]:
        """The entry points of this registry (for one key, or all)."""
        eps = discovery.entries(self.group)
        return [e for e in eps if key is None or e.key == key]

    def origin(self, key: str) -> discovery.PluginEntry | None:
        """The plugin entry point ``key`` was loaded from, to name it in errors about what it
        gave; None for a key registered in-process, not loaded yet, or not from a plugin."""
        node: Registry | None = self
        while node is not None:
            if key in node._origins and key not in node._local:
                return node._origins[key]
            node = node.parent
        return None

    def origin_of(self, obj: Any) -> discovery.PluginEntry | None:
        """The plugin entry point that gave ``obj`` (a class, say) when it was loaded: for
        errors about an object built outside a config. None if none did (yet)."""
        node: Registry | None = self
        while node is not None:
            for key, entry in node._origins.items():
                if node._loaded.get(key) is obj and key not in node._local:
                    return entry
            node = node.parent
        return None

    def _scopes_registering(self, key: str, other_than: Any) -> list[str]:
        """The scopes of this registry's tree whose registry holds its own ``key`` (not
        ``other_than``): a name the fallback answers here that the user meant from there."""
        return sorted(
            node.scope
            for node in _scopes.subtree(self.root)
            if node is not self and node._local.get(key, other_than) is not other_than
        )

    def fallback_object(self, key: str) -> Any:
        """What this registry's fallback gives for ``key`` (``torch.nn.Linear`` for the model
        registry's ``'Linear'``), None for nothing: an entry point of that name hides it."""
        return None if self._fallback is None else self._fallback(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key, default=None) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def __repr__(self) -> str:
        return f"Registry({self.name!r}, group={self.group!r}, keys={len(self)})"

    def get(self, key: str, default: Any = None) -> Any:
        """The object offered as ``key``, or ``default`` (None) if no one offers it, as
        MMEngine's ``get``. A plugin that fails to load, or two offering ``key``, still
        raise a PluginError: that is no unknown name."""
        return self._find(key, default)

    def lookup(self, key: str) -> Any:
        """``get`` for code that needs the object: an unknown ``key`` raises a RegistryError
        that says what is known (did you mean, where names come from)."""
        return self._find(key, _MISSING)

    def _find(self, key: str, default: Any) -> Any:
        """Resolve ``key`` (see the module docstring); ``default`` _MISSING raises."""
        if not isinstance(key, str):  # MMEngine's check, with its message
            raise TypeError(
                f"The key argument of `Registry.get` must be a str, got {type(key)}; "
                "a class needs no lookup: pass it as the config's type."
            )
        default_scope = get_default_scope()
        if default_scope is not None and default_scope != self._scope and self.children:
            owner = find_scope(self, default_scope)  # MMEngine's default_scope goes first
            if owner is not None and owner is not self:
                obj = owner._get(key, default=None)
                if obj is not None:
                    return obj
                if default is _MISSING and "." not in key and ":" not in key:
                    # unknown in both: say so for the default scope's registry, as MMEngine
                    # ('mylib::loop'), with its names (the child's and the parent's) to suggest
                    # (a dotted key keeps this registry's import error)
                    obj = self._get(key, default=None)
                    if obj is None:
                        raise RegistryError(owner._unknown_message(key))
                    return obj
        return self._get(key, default)

    def _get(self, key: str, default: Any = _MISSING) -> Any:
        """``get`` without the default-scope redirection (which would loop through parents)."""
        if key in self._local:
            return self._local[key]
        if key in self._loaded:
            if key in self._dotted and _untrusted_source.get() is not None:
                _check_untrusted(self.name, key, self._loaded[key])
            return self._loaded[key]
        # MMEngine imports a registry's ``locations`` before its first lookup, so that a child's
        # own class wins over a parent's (or torch's, or a plugin's) of the same name
        if self.import_from_location() and key in self._local:
            return self._local[key]
        try:
            obj = self._resolve(key)
        except RegistryError as exc:
            # a plugin or a locations= module that fails to import is no unknown name
            if default is not _MISSING and not isinstance(exc, (PluginError, RegistryImportError)):
                return default
            raise
        if obj is None:
            if default is not _MISSING:
                return default
            raise RegistryError(self._unknown_message(key))
        return obj

    def _resolve(self, key: str) -> Any:
        if "::" in key:
            dist, _, bare = key.partition("::")
            # pip's spelling rules: 'runner_digits::X' and 'Runner-Digits::X' are runner-digits'
            wanted = normal_name(dist)
            chosen = [e for e in self.entry_points(bare) if normal_name(e.distribution) == wanted]
            if not chosen:
                offered = [e.distribution for e in self.entry_points(bare)]
                hint = f" It is offered by: {', '.join(offered)}." if offered else ""
                raise RegistryError(
                    f"No installed distribution {dist!r} offers {bare!r} in the "
                    f"{self.name} registry (group {self.group!r}).{hint}"
                )
            obj = chosen[0].load()
            self._loaded[key] = obj
            self._origins[key] = chosen[0]
            return obj
        scope, bare = _scopes.split_scope_key(key)
        if scope is not None:
            if scope in ROOT_ALIASES and "." in bare:
                # MMEngine's import path ('mmengine.hooks.LoggerHook', as its dumps and
                # pure-Python configs write it) names the root's class of that name; never
                # 'hooks.LoggerHook' read as a scope of its own (a module of the user's)
                bare = bare.rpartition(".")[2]
            obj = self._resolve_scoped(scope, bare)
            if obj is not None:
                return obj
        eps = self.entry_points(key)
        dists = {e.distribution for e in eps}
        if len(dists) > 1:
            listing = "; ".join(e.describe() for e in eps)
            picks = " or ".join(f"{self.chosen_by}='{e.distribution}::{key}'" for e in eps)
            raise PluginError(
                f"Two installed distributions offer {key!r} in the {self.name} registry "
                f"(group {self.group!r}): {listing}. Pick one explicitly in the config with "
                f"{picks}, or uninstall one of them."
            )
        if eps:
            obj = eps[0].load()
            self._loaded[key] = obj
            self._origins[key] = eps[0]
            hidden = None if self._fallback is None else self._fallback(key)
            if hidden is not None and hidden is not obj:  # said once: the key is cached now
                import warnings

                from .shadowing import shadow_message

                warnings.warn(shadow_message(self, eps[0], hidden), stacklevel=4)
            return obj
        if self._fallback is not None:
            obj = self._fallback(key)
            if obj is not None:
                scopes = self._scopes_registering(key, obj)
                if scopes:  # said once: the key is cached now
                    import warnings

                    from .shadowing import fallback_over_scopes_message

                    warnings.warn(
                        fallback_over_scopes_message(self, key, obj, scopes), stacklevel=4
                    )
                self._loaded[key] = obj
                return obj
        if self.parent is not None:
            obj = self.parent._get(key, default=None)
            if obj is not None:
                return obj
        if "." in key or ":" in key:
            if _untrusted_source.get() is not None:
                obj = _check_untrusted(self.name, key, _already_imported(key))
                self._loaded[key] = obj
                self._dotted.add(key)
                return obj
            try:
                obj = import_dotted(key)
            except (ImportError, AttributeError) as exc:
                from ..config.execution import CONFIG_MODULE_NAME

                in_config = key.startswith(f"{CONFIG_MODULE_NAME}.")  # a dumped config's class
                if (
                    not in_config
                    and scope is not None
                    and "." not in bare
                    and self._scope_offers(scope)
                ):
                    # 'mydet.MyDetectr': a misspelt name of a scope, not a module to import
                    raise RegistryError(
                        f"{key!r} is not registered in scope {scope!r} of the {self.name} "
                        f"registry.{self._dotted_hint(key)} (Nor could it be imported as a "
                        f"dotted path: {type(exc).__name__}: {exc}.)"
                    ) from exc
                hint = (
                    " It names a class or function defined in a config file, which a dumped "
                    "config cannot import: define it in a module of your project and import "
                    "it in the config (or register it and write its name)."
                    if in_config
                    else self._dotted_hint(key)
                )
                raise RegistryError(
                    f"{key!r} is not a key of the {self.name} registry and could not be "
                    f"imported as a dotted path ({type(exc).__name__}: {exc}).{hint}"
                ) from exc
            self._loaded[key] = obj
            self._dotted.add(key)
            return obj
        return None

    def _resolve_scoped(self, scope: str, bare: str) -> Any:
        """``bare`` from the registry of ``scope`` in this tree, or that distribution's entry point.

        The scope's own registry answers, not the default scope's: ``'mmengine.X'`` under
        ``default_scope='mmdet'`` is the root's ``X``, as in MMEngine (``_get``, without
        the default-scope redirection of ``get``)."""
        if scope == self._scope:
            return self._get(bare, default=None)
        owner = find_scope(self, scope)
        if owner is None and _scopes.may_import_scope(scope) and import_scope_registry(scope):
            owner = find_scope(self, scope)  # it declares its child registries
        if owner is not None:
            obj = owner._get(bare, default=None)
            if obj is not None:
                return obj
        chosen = [e for e in self.entry_points(bare) if entry_in_scope(e, scope)]
        if chosen:
            obj = chosen[0].load()
            self._loaded[f"{scope}.{bare}"] = obj
            self._origins[f"{scope}.{bare}"] = chosen[0]
            return obj
        return None

    def _is_ours(self) -> bool:
        """Whether ``runner_core.registry.<var_name>`` is this registry (not a library's
        child of it, which takes its parent's variable name, nor a registry of its own)."""
        import sys

        module = sys.modules.get("runner_core.registry")
        return module is not None and getattr(module, self.var_name, None) is self

    def _unknown_message(self, key: str) -> str:
        from ..standard import missing_distribution_hint, plugin_listing_hint
        from .stale import reinstall_hint

        hint = missing_distribution_hint(key) or did_you_mean(key, self.suggestion_pool())
        hint = self._other_scopes_hint(key) + hint
        scope = f" (scope {self._scope!r})" if self.parent is not None or self.children else ""
        return (
            f"{key!r} is not in the {self.name} registry{scope}.{hint} Known names come from "
            f"@{self.var_name}.register_module()"
            + (
                f" and from installed plugins' {self.group!r} entry points "
                f"({plugin_listing_hint(self.var_name, ours=self._is_ours())})"
                if self.group
                else ""
            )
            + "; a class can also be named by its import path, e.g. 'my_pkg.module:MyClass'."
        ) + (reinstall_hint(self.group, key) if self.group else "")

    def _other_scopes_hint(self, key: str) -> str:
        """The scoped names to write for ``key`` where other scopes of the tree register it
        (``'otherlib.OtherBackbone'``): the default scope's lookup never reaches a sibling."""
        if "." in key or ":" in key:
            return ""
        scopes = self._scopes_registering(key, _MISSING)
        if not scopes:
            return ""
        names = " or ".join(f"{self.chosen_by}='{scope}.{key}'" for scope in scopes)
        which = ", ".join(repr(scope) for scope in scopes)
        return f" The {self.name} registry of scope {which} registers it: write {names}."

    def _scope_names(self, scope: str) -> set[str]:
        """The names ``scope`` offers itself: its registry's registrations and the entry
        points of its distribution (not the names it finds in its parents)."""
        owner = find_scope(self, scope)
        names = set(owner._local) if owner is not None else set()
        names.update(e.key for e in self.entry_points() if entry_in_scope(e, scope))
        return names

    def _scope_offers(self, scope: str) -> bool:
        """Whether ``scope`` is a library of this tree or a plugin of this registry's group:
        a ``'<scope>.Name'`` key that is not found is a registry miss, not a failed import."""
        return find_scope(self, scope) is not None or bool(self._scope_names(scope))

    def _dotted_hint(self, key: str) -> str:
        """Did-you-mean for a dotted key: ``'mmdet.ResNt'`` -> ``'mmdet.ResNet'``, the scope's
        own names first."""
        scope, bare = _scopes.split_scope_key(key)
        owner = find_scope(self, scope) if scope is not None else None
        if scope is not None and "." not in bare:
            own = did_you_mean(key, {f"{scope}.{k}" for k in self._scope_names(scope)})
            if own:
                return own
        if owner is not None:
            return did_you_mean(key, {f"{scope}.{k}" for k in owner.suggestion_pool()})
        from ..utils.misc import is_installed

        hint = did_you_mean(key.rpartition(".")[2], self.suggestion_pool())
        if scope is not None and scope.isidentifier() and not is_installed(scope):
            hint += (
                f" No package or distribution named {scope!r} is installed: if {scope!r} is "
                "the scope of a library, install that library."
            )
        return hint

    def suggestion_pool(self) -> set[str]:
        """Names to suggest for a misspelt key: this registry's, its fallback's (torch's
        optimizers, nn layers) and its ancestors'."""
        pool: set[str] = set()
        node: Registry | None = self
        while node is not None:
            pool.update(node.keys())
            names = getattr(node._fallback, "names", None)
            if callable(names):
                pool.update(names())
            node = node.parent
        return pool

    # -- building -----------------------------------------------------------
    def build(self, cfg: Any, *args: Any, _key_path: str | None = None, **kwargs: Any) -> Any:
        """Build ``cfg`` by calling ``build_func(cfg, *args, **kwargs, registry=self)``, as
        MMEngine does (``default_args=`` fills keys the config does not set).

        With our own build functions, other keyword arguments are default arguments
        too (``HOOKS.build(cfg, module=model)``), and ``_key_path`` (the config key
        being built, e.g. ``'default_hooks.checkpoint'``) is named in errors.
        """
        from .build_functions import KEYED_BUILD_FUNCS

        if self.build_func not in KEYED_BUILD_FUNCS or len(args) > 1:
            return self.build_func(cfg, *args, **kwargs, registry=self)
        default_args = args[0] if args else kwargs.pop("default_args", None)
        if kwargs:
            default_args = {**(default_args or {}), **kwargs}
        call: dict[str, Any] = {} if default_args is None else {"default_args": default_args}
        if _key_path is not None:
            call["_key_path"] = _key_path
        return self.build_func(cfg, registry=self, **call)


#: the config key of the object whose constructor is running (see current_build_path)
_BUILDING: ContextVar[str | None] = ContextVar("runner_building", default=None)


@dataclass(frozen=True)
class BuiltFrom:
    """Where a registry built an object from: the config key, and the plugin entry point
    that offered its ``type`` (None: not from a plugin)."""

    key_path: str
    entry: discovery.PluginEntry | None


#: id(object) -> (a weak reference to it, where it was built from); see built_from
_BUILT: dict[int, tuple[weakref.ref[Any], BuiltFrom]] = {}


def built_from(obj: Any) -> BuiltFrom | None:
    """Where a registry built ``obj`` from, for errors found after the build (a hook's
    misspelled method at run start); None if no keyed build made it."""
    found = _BUILT.get(id(obj))
    if found is None or found[0]() is not obj:
        return None
    return found[1]


def remember_build(obj: Any, key_path: str, entry: discovery.PluginEntry | None) -> None:
    """Note where ``obj`` was built from (see :func:`built_from`); forgotten when it dies."""
    key = id(obj)

    def forget(ref: weakref.ref[Any]) -> None:
        if _BUILT.get(key, (None,))[0] is ref:
            del _BUILT[key]

    try:
        ref = weakref.ref(obj, forget)
    except TypeError:  # no weak references to it (an int a function returned): not noted
        return
    _BUILT[key] = (ref, BuiltFrom(key_path, entry))


def current_build_path() -> str | None:
    """The config key of the object being built right now, e.g. ``'default_hooks.checkpoint'``.

    For a constructor's own errors, and for what it builds in turn
    (a dataset's ``pipeline``): set while a registry builds from a config
    with a known key; None outside such a build.
    """
    return _BUILDING.get()


def accepts_argument(obj: Any, name: str, unknown: bool = False) -> bool:
    """Whether calling ``obj`` accepts a keyword argument ``name``.

    ``unknown`` answers for callables without a signature (some builtins).
    """
    try:
        params = inspect.signature(obj).parameters
    except (TypeError, ValueError):
        return unknown
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _own_group(name: str) -> str:
    """The default group of a root registry called ``name``: ``runner.<name>s``, unless a
    standard registry reads that group (a library's own ``Registry('model')`` without a
    parent is a registry of its own, empty until it registers, as in MMEngine; its
    children find the plugins only through ``parent=MODELS``)."""
    import sys

    group = f"runner.{name}s"
    root = sys.modules.get("runner_core.registry.root")  # None while root.py declares them
    standard = getattr(root, "ALL_REGISTRIES", {}) if root is not None else {}
    return "" if any(r.group == group for r in standard.values()) else group


def _wrapper_takes_anything(obj: Any) -> bool:
    """Whether ``obj`` (its ``__init__`` for a class) is a ``functools.wraps`` wrapper that
    takes ``**kwargs`` itself: ``inspect.signature`` shows the wrapped function's
    parameters, but the wrapper may accept (and translate) others."""
    target = getattr(obj, "__init__", None) if isinstance(obj, type) else obj
    if getattr(target, "__wrapped__", None) is None:
        return False
    if getattr(obj, "__signature__", None) is not None:  # it says what it takes (schedulers)
        return False
    try:
        outer = inspect.signature(target, follow_wrapped=False)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return any(p.kind is p.VAR_KEYWORD for p in outer.parameters.values())


def check_arguments(
    obj_cls: Any,
    args: Mapping[str, Any],
    key_path: str | None = None,
    *,
    named_only: bool = False,
) -> None:
    """Raise a BuildError naming the class and the bad argument before calling it.

    ``named_only=True`` checks against the named parameters even when the
    signature has ``**kwargs`` (a class that takes a fixed few extra options
    there, e.g. MMEngine's storage arguments, and handles those itself).
    """
    if not named_only and _wrapper_takes_anything(obj_cls):
        return  # a decorator in between (mmcv's deprecated_api_warning renames old keywords)
    try:
        sig = inspect.signature(obj_cls)
    except (TypeError, ValueError):  # builtins without a signature: let the call decide
        return
    params = sig.parameters
    if not named_only and any(p.kind is p.VAR_KEYWORD for p in params.values()):
        unknown: list[str] = []
    else:
        allowed = {
            n for n, p in params.items() if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
        }
        unknown = [k for k in args if k not in allowed]
    missing = [
        n
        for n, p in params.items()
        if p.default is p.empty
        and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
        and n not in args
    ]
    if not unknown and not missing:
        return
    if key_path is None:  # a constructor checking its own options: the key it is built from
        key_path = _BUILDING.get()
    name = _describe(obj_cls)
    base = f"config key {key_path!r}" if key_path else "the config"
    allowed_names = [n for n in params if n not in ("self", "args", "kwargs")]
    parts = []
    no_suggestion = False
    for k in unknown:
        at = f"{key_path}.{k}" if key_path else k
        if k in params and params[k].kind is params[k].POSITIONAL_ONLY:
            # a config passes every argument by name (list(iterable=...) fails)
            parts.append(
                f"{name} takes {k!r} by position only, and a config passes arguments by "
                f"name (at {at!r}): register a function that takes it by name and calls "
                f"{name}, and name that function as the type."
            )
            continue
        if k == "_delete_":  # where no merge reads it, it stays in the dict
            parts.append(
                f"{name} got '_delete_' (at {at!r}), which only a classic child config's dict "
                "merged into its base's reads. Inside a list element it has no effect (a "
                "child's list replaces the base's whole), nor in a pure-Python config, where "
                "assigning a key already replaces the base's value (`.update()` merges); "
                "MMEngine keeps it there too. Remove it."
            )
            continue
        hint = did_you_mean(k, allowed_names)
        no_suggestion = no_suggestion or not hint
        parts.append(f"{name} got an unexpected argument {k!r} (at {at!r}).{hint}")
    if missing:
        parts.append(f"{name} is missing required argument(s) {', '.join(map(repr, missing))}.")
    inherited = (
        " If the config inherits, an argument it does not write comes from a base: a "
        "classic config's dict merges into the base's, so a new type keeps the base's "
        "arguments; add _delete_=True to that dict to replace it whole (in a pure-Python "
        "config, assign a new dict instead of calling .update())."
        if no_suggestion and key_path
        else ""
    )
    raise BuildError(
        " ".join(parts)
        + f" Its arguments are: {', '.join(allowed_names) or '(none)'}; fix {base}.{inherited}"
    )


_UNEXPECTED_KEYWORD = re.compile(
    r"^(?P<callee>[\w.<>]+)\(\) got an unexpected keyword argument '(?P<arg>\w+)'"
)


def forwarded_argument_error(
    exc: TypeError, obj_cls: Any, args: Mapping[str, Any], key_path: str
) -> BuildError | None:
    """A constructor taking ``**kwargs`` hands them on (OpenMMLab's loops and hooks do), so
    :func:`check_arguments` cannot check them: the call they reach refuses a config key.
    The same error as for a direct argument, or None when ``exc`` is something else."""
    found = _UNEXPECTED_KEYWORD.match(str(exc))
    if found is None or found["arg"] not in args:
        return None
    callee, k = found["callee"], found["arg"]
    try:
        own = inspect.signature(obj_cls).parameters
    except (TypeError, ValueError):
        return None
    if k in own or not any(p.kind is p.VAR_KEYWORD for p in own.values()):
        return None  # taken by name, then passed on wrongly: the class's bug, not the config's
    target = next(
        (
            c.__init__
            for c in getattr(obj_cls, "__mro__", ())[1:]
            if f"{c.__qualname__}.__init__" == callee
        ),
        None,
    )
    if target is None:  # refused by something else the class called
        return None
    try:
        params = list(inspect.signature(target).parameters)
    except (TypeError, ValueError):
        params = []
    allowed = [n for n in params if n not in ("self", "args", "kwargs", "runner", "dataloader")]
    takes = f" {callee.removesuffix('.__init__')} takes: {', '.join(allowed)}." if allowed else ""
    return BuildError(
        f"{_describe(obj_cls)} handed the argument {k!r} (at {key_path + '.' + k!r}) on to "
        f"{callee}, which does not take it.{did_you_mean(k, allowed)}{takes} "
        f"Fix config key {key_path!r}."
    )


def _describe(obj: Any) -> str:
    mod = getattr(obj, "__module__", None)
    qual = getattr(obj, "__qualname__", None) or repr(obj)
    return f"{mod}.{qual}" if mod else qual
