"""The Registry: find buildable things by name, build them from configs.

Resolution order for ``get(key)``:

1. in-process registrations (``@REG.register_module()``) — they win;
2. ``'<distribution>::<Key>'`` picks the entry point of one distribution
   (the way out when two plugins offer the same key);
3. entry points of this registry's group (``runner.<name>``), imported lazily:
   exactly one module per lookup;
4. the registry's fallback (e.g. every ``torch.optim`` optimizer by class name);
5. a dotted import path, ``'pkg.mod:Name'`` or ``'pkg.mod.Name'``.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..errors import BuildError, PluginError, RegistryError, did_you_mean
from . import discovery

_MISSING = object()


def import_dotted(path: str) -> Any:
    """Import ``'pkg.mod:Name'`` or ``'pkg.mod.Name'``; raise ImportError/AttributeError."""
    if ":" in path:
        module_name, _, attr = path.partition(":")
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            obj = getattr(obj, part)
        return obj
    raise ImportError(f"cannot import {path!r}")


class Registry:
    """A name -> object table for one kind of buildable thing.

    Args:
        name: the registry's name, e.g. ``'hook'``; shown in errors.
        group: the entry-point group it reads, ``'runner.hooks'``.
        fallback: called with a key no one registered; returns the object or None.
        build_func: replaces the default ``build`` behaviour (``func(registry, cfg,
            default_args, key_path)``).
    """

    def __init__(
        self,
        name: str,
        group: str | None = None,
        fallback: Callable[[str], Any] | None = None,
        build_func: Callable[..., Any] | None = None,
    ) -> None:
        self.name = name
        self.var_name = name.upper()  # set to the module-level name by registry.root
        self.group = group or f"runner.{name}s"
        self._fallback = fallback
        self._build_func = build_func
        self._local: dict[str, Any] = {}
        self._loaded: dict[str, Any] = {}  # entry points already imported

    # -- registration -------------------------------------------------------
    def register_module(
        self, name: str | list[str] | None = None, force: bool = False, module: Any = None
    ) -> Any:
        """Register a class or function, as a decorator or directly with ``module=``."""
        if name is not None and not isinstance(name, (str, list)):
            raise TypeError(f"name must be a str or a list of str, got {type(name).__name__}")

        def _register(obj: Any) -> Any:
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

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key, default=None) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def __repr__(self) -> str:
        return f"Registry({self.name!r}, group={self.group!r}, keys={len(self)})"

    def get(self, key: str, default: Any = _MISSING) -> Any:
        """Resolve ``key`` to the registered object (see the module docstring)."""
        if key in self._local:
            return self._local[key]
        if key in self._loaded:
            return self._loaded[key]
        try:
            obj = self._resolve(key)
        except RegistryError:
            if default is not _MISSING:
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
            chosen = [e for e in self.entry_points(bare) if e.distribution == dist]
            if not chosen:
                offered = [e.distribution for e in self.entry_points(bare)]
                hint = f" It is offered by: {', '.join(offered)}." if offered else ""
                raise RegistryError(
                    f"No installed distribution {dist!r} offers {bare!r} in the "
                    f"{self.name} registry (group {self.group!r}).{hint}"
                )
            obj = chosen[0].load()
            self._loaded[key] = obj
            return obj
        eps = self.entry_points(key)
        dists = {e.distribution for e in eps}
        if len(dists) > 1:
            listing = "; ".join(e.describe() for e in eps)
            picks = " or ".join(f"type='{e.distribution}::{key}'" for e in eps)
            raise PluginError(
                f"Two installed distributions offer {key!r} in the {self.name} registry "
                f"(group {self.group!r}): {listing}. Pick one explicitly in the config with "
                f"{picks}, or uninstall one of them."
            )
        if eps:
            obj = eps[0].load()
            self._loaded[key] = obj
            return obj
        if self._fallback is not None:
            obj = self._fallback(key)
            if obj is not None:
                self._loaded[key] = obj
                return obj
        if "." in key or ":" in key:
            try:
                obj = import_dotted(key)
            except (ImportError, AttributeError) as exc:
                raise RegistryError(
                    f"{key!r} is not a key of the {self.name} registry and could not be "
                    f"imported as a dotted path ({type(exc).__name__}: {exc})."
                    + did_you_mean(key.rpartition(".")[2], self.keys())
                ) from exc
            self._loaded[key] = obj
            return obj
        return None

    def _unknown_message(self, key: str) -> str:
        from .stale import reinstall_hint

        hint = did_you_mean(key, self.keys())
        return (
            f"{key!r} is not in the {self.name} registry.{hint} Known names come from "
            f"@{self.var_name}.register_module() and from installed plugins' "
            f"{self.group!r} entry points (see `runner-cli plugins`); a class can also be "
            f"named by its import path, e.g. 'my_pkg.module:MyClass'."
        ) + (reinstall_hint(self.group, key) if self.group else "")

    # -- building -----------------------------------------------------------
    def build(
        self,
        cfg: Any,
        default_args: Mapping[str, Any] | None = None,
        *,
        _key_path: str | None = None,
        **more_default_args: Any,
    ) -> Any:
        """Build ``cfg['type']`` with the other keys as keyword arguments.

        ``cfg`` that is not a mapping is returned as it is (already built).
        ``default_args`` fill keys the config does not set.
        """
        defaults = dict(default_args or {})
        defaults.update(more_default_args)
        if self._build_func is not None:
            return self._build_func(self, cfg, defaults, _key_path)
        return build_from_cfg(self, cfg, defaults, _key_path)


def build_from_cfg(
    registry: Registry, cfg: Any, defaults: Mapping[str, Any], key_path: str | None = None
) -> Any:
    """The default build: resolve ``type``, check the arguments, call."""
    if not isinstance(cfg, Mapping):
        return cfg
    where = f" (config key {key_path!r})" if key_path else ""
    args = dict(cfg)
    for key, value in defaults.items():
        args.setdefault(key, value)
    if "type" not in args:
        raise BuildError(
            f"Cannot build a {registry.name} from {dict(cfg)!r}{where}: it has no 'type' key. "
            f"Add type='<name>' naming a registered {registry.name}."
        )
    obj_type = args.pop("type")
    args.pop("_scope_", None)
    if isinstance(obj_type, str):
        try:
            obj_cls = registry.get(obj_type)
        except RegistryError as exc:
            if key_path:
                exc.args = (f"{exc.args[0]} (at config key {key_path + '.type'!r})",)
            raise
    elif callable(obj_type):
        obj_cls = obj_type
    else:
        raise BuildError(
            f"'type' must be a registered name, a class or a callable, got {obj_type!r}{where}."
        )
    check_arguments(obj_cls, args, key_path)
    return obj_cls(**args)


def check_arguments(obj_cls: Any, args: Mapping[str, Any], key_path: str | None = None) -> None:
    """Raise a BuildError naming the class and the bad argument before calling it."""
    try:
        sig = inspect.signature(obj_cls)
    except (TypeError, ValueError):  # builtins without a signature: let the call decide
        return
    params = sig.parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
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
    name = _describe(obj_cls)
    base = f"config key {key_path!r}" if key_path else "the config"
    allowed_names = [n for n in params if n not in ("self", "args", "kwargs")]
    parts = []
    for k in unknown:
        at = f"{key_path}.{k}" if key_path else k
        parts.append(
            f"{name} got an unexpected argument {k!r} (at {at!r}).{did_you_mean(k, allowed_names)}"
        )
    if missing:
        parts.append(f"{name} is missing required argument(s) {', '.join(map(repr, missing))}.")
    raise BuildError(
        " ".join(parts) + f" Its arguments are: {', '.join(allowed_names) or '(none)'}; fix {base}."
    )


def _describe(obj: Any) -> str:
    mod = getattr(obj, "__module__", None)
    qual = getattr(obj, "__qualname__", None) or repr(obj)
    return f"{mod}.{qual}" if mod else qual
