"""The build functions a registry calls, MMEngine's ``build_*_from_cfg``.

``build_from_cfg(cfg, registry, default_args=None)`` resolves ``cfg['type']``
in ``registry`` (or, with ``_scope_``, in the registry of that scope), checks
the other keys against the signature and calls it. The root registries use
MMEngine's specialised ones: ``MODELS`` builds a list into a ``Sequential``,
``PARAM_SCHEDULERS`` honours ``convert_to_iter_based``, ``RUNNERS`` calls
``Runner.from_cfg``. Each takes a keyword-only ``_key_path`` (the config key
being built), which our own callers pass so errors name it; torch is imported
only inside them.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from ..errors import (
    BuildError,
    BuildKeyError,
    RegistryError,
    RunnerError,
    add_note,
    did_you_mean,
    name_config_key,
)
from .registry import (
    _BUILDING,
    Registry,
    check_arguments,
    forwarded_argument_error,
    remember_build,
)

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

    from ..optim.scheduler.base import _ParamScheduler
    from ..runner import Runner


def _plain(cfg: Any, what: str) -> dict[str, Any]:
    """``cfg`` (a dict, ConfigDict or Config) as a new dict; anything else is a TypeError."""
    from ..config import Config

    if isinstance(cfg, Config):
        return {key: cfg[key] for key in cfg}
    if isinstance(cfg, Mapping):
        return dict(cfg)
    raise BuildError(
        f"{what} should be a dict, ConfigDict or Config, but got {type(cfg).__name__}: "
        f"{cfg!r}. Give a config such as dict(type='<registered name>', ...); a built "
        "object needs no building."
    )


@contextmanager
def _in_scope(registry: Registry, scope: str | None) -> Iterator[Registry]:
    """``registry.switch_scope_and_registry(scope)``; a name the build cannot find gets a
    note when ``scope`` names no registry of the tree, where MMEngine logs a warning: the
    name was looked up elsewhere, and a misspelt ``_scope_`` is the likelier mistake."""
    from .scope import find_scope, subtree

    with registry.switch_scope_and_registry(scope) as chosen:
        try:
            yield chosen
        except RegistryError as exc:
            if scope is not None and find_scope(registry.root, scope) is None:
                known = sorted({node.scope for node in subtree(registry.root)})
                add_note(
                    exc,
                    f"_scope_={scope!r} names no registry of the {registry.name} registries "
                    f"(their scopes: {', '.join(known)}), so the name was looked up in scope "
                    f"{chosen.scope!r}." + did_you_mean(scope, known),
                )
            raise


def _with_defaults(cfg: Any, default_args: Any) -> dict[str, Any]:
    args = _plain(cfg, "cfg")
    if default_args is not None:
        for name, value in _plain(default_args, "default_args").items():
            args.setdefault(name, value)
    return args


def _is_manager(obj_cls: Any) -> bool:
    """A class with MMEngine's ``ManagerMixin`` interface (Visualizer, MessageHub): built by
    name through ``get_instance``, so that it is the current instance afterwards."""
    return inspect.isclass(obj_cls) and all(
        callable(getattr(obj_cls, m, None)) for m in ("get_instance", "get_current_instance")
    )


def _resolve_type(registry: Registry, obj_type: Any, where: str, key_path: str | None) -> Any:
    if isinstance(obj_type, str):
        try:
            return registry.lookup(obj_type)
        except RegistryError as exc:
            if key_path:
                name_config_key(exc, key_path + ".type")
            raise
    if callable(obj_type):
        return obj_type
    raise BuildError(
        f"'type' must be a registered name, a class or a callable, got {obj_type!r}{where}."
    )


def _not_buildable(registry: Registry, key: str, obj: Any, key_path: str | None) -> None:
    """Raise a BuildError for a registered object that cannot be called, naming its plugin."""
    from .kinds import kind_problem

    entry = registry.origin(key)
    source = f" It comes from the {entry.where()}." if entry else ""
    fix = (
        f"fix that entry point of {entry.distribution}, or uninstall it "
        f"(`pip uninstall {entry.distribution}`)"
        if entry
        else "register a class or a function under that name"
    )
    at = f" (at config key {key_path + '.type'!r})" if key_path else ""
    raise BuildError(
        f"{key!r} in the {registry.name} registry{at} "
        f"{kind_problem(registry.group, obj) or 'cannot be called'}, so nothing can be built "
        f"from it.{source} To fix it: {fix}."
    )


#: the key path and arguments of the config build whose constructor runs now: a
#: constructor building one of its arguments (``MODELS.build(backbone)``) names its key
_ARGUMENTS: ContextVar[tuple[str, Mapping[str, Any]] | None] = ContextVar(
    "runner_building_arguments", default=None
)


def _argument_key_path(cfg: Any) -> str | None:
    """The key of ``cfg`` when it is an argument (or an item of one) of the config the
    running constructor was built from: ``'model.backbone'``, ``'model.heads[1]'``."""
    outer = _ARGUMENTS.get()
    if outer is None:
        return None
    path, args = outer
    found = []
    for name, value in args.items():
        if value is cfg:
            found.append(f"{path}.{name}")
        elif isinstance(value, (list, tuple)):
            found += [f"{path}.{name}[{i}]" for i, item in enumerate(value) if item is cfg]
    return found[0] if len(found) == 1 else None  # one dict given twice: which is unknown


#: how the note on a failed constructor starts ("Raised in ...": runner-cli shows it)
CONSTRUCTOR_NOTE = "Raised in the constructor of "


def _build_args(
    registry: Registry, args: dict[str, Any], key_path: str | None, nested: bool = False
) -> Any:
    """Build from merged arguments, ``_scope_`` already handled. ``nested``: ``key_path``
    was found by :func:`_argument_key_path` (a constructor's own build)."""
    where = f" (config key {key_path!r})" if key_path else ""
    if "type" not in args:
        raise BuildKeyError(
            f"Cannot build a {registry.name} from {args!r}{where}: it has no 'type' key. "
            f"Add type='<name>' naming a registered {registry.name}."
        )
    obj_type = args.pop("type")
    obj_cls = _resolve_type(registry, obj_type, where, key_path)
    if not callable(obj_cls):  # a plugin's entry point naming a constant: say whose
        _not_buildable(registry, obj_type, obj_cls, key_path)
    check_arguments(obj_cls, args, key_path)
    token = _BUILDING.set(key_path) if key_path else None
    given = _ARGUMENTS.set((key_path, args)) if key_path else None
    try:
        # MMEngine's reuse by name, for a build of yours; a Runner's own builds (the ones with a
        # key path) construct, so a second Runner never takes over the first one's visualizer
        # (OpenMMLab configs all say name='visualizer')
        if (key_path is None or nested) and _is_manager(obj_cls) and "name" in args:
            return obj_cls.get_instance(**args)
        built = obj_cls(**args)
        if key_path:  # for errors found later (a hook's misspelled method at run start)
            origin = registry.origin(obj_type) if isinstance(obj_type, str) else None
            remember_build(built, key_path, origin)
        return built
    except RunnerError as exc:  # a constructor refusing a value: say where it is
        if key_path:  # the innermost build names the key (a metric in an evaluator in a loop)
            name_config_key(exc, key_path)
        raise
    except TypeError as exc:  # a config key handed on through **kwargs and refused there
        better = forwarded_argument_error(exc, obj_cls, args, key_path) if key_path else None
        if better is None:
            _note_where(exc, registry, obj_type, key_path)
            raise
        raise better from exc
    except Exception as exc:  # the class's own code failed on a value: which part was it
        _note_where(exc, registry, obj_type, key_path)
        raise
    finally:
        if token is not None:
            _BUILDING.reset(token)
        if given is not None:
            _ARGUMENTS.reset(given)


def offered_by(registry: Registry, kind: Any) -> tuple[str, Any]:
    """How errors name a config's ``type`` (a name, or a class given directly), and the
    entry point that offered a name (None: not from a plugin)."""
    if isinstance(kind, str):
        return kind, registry.origin(kind)
    return getattr(kind, "__qualname__", repr(kind)), None


def _note_where(
    exc: BaseException, registry: Registry, obj_type: Any, key_path: str | None
) -> None:
    """Note on ``exc`` the config key, the type and the plugin whose constructor raised it
    (the innermost build only: it is the precise one); runner-cli prints it with the error."""
    notes = getattr(exc, "__notes__", None) or []
    if not key_path or any(str(note).startswith(CONSTRUCTOR_NOTE) for note in notes):
        return
    name, entry = offered_by(registry, obj_type)
    source = f"; the {entry.where()}" if entry else ""
    add_note(exc, f"{CONSTRUCTOR_NOTE}{name!r}, built from config key {key_path!r}{source}.")


def build_from_cfg(
    cfg: Any,
    registry: Registry,
    default_args: Mapping[str, Any] | None = None,
    *,
    _key_path: str | None = None,
) -> Any:
    """Build ``cfg['type']`` from ``registry`` with the other keys (``default_args`` fill
    the keys ``cfg`` does not set), inside the scope ``cfg['_scope_']`` names, if any."""
    if not isinstance(registry, Registry):
        raise BuildError(
            f"build_from_cfg(cfg, registry, default_args=None): registry must be a Registry, "
            f"got {type(registry).__name__}; the config comes first."
        )
    nested = _key_path is None and (_key_path := _argument_key_path(cfg)) is not None
    args = _with_defaults(cfg, default_args)
    with _in_scope(registry, args.pop("_scope_", None)) as chosen:
        return _build_args(chosen, args, _key_path, nested)


def build_model_from_cfg(
    cfg: Any,
    registry: Registry,
    default_args: Mapping[str, Any] | None = None,
    *,
    _key_path: str | None = None,
) -> nn.Module:
    """``build_from_cfg``, and a list of configs becomes a ``Sequential`` of them."""
    if isinstance(cfg, list):
        from ..model.base_model import Sequential

        return Sequential(
            *(
                build_from_cfg(
                    one,
                    registry,
                    default_args,
                    _key_path=f"{_key_path}[{i}]" if _key_path else None,
                )
                for i, one in enumerate(cfg)
            )
        )
    return build_from_cfg(cfg, registry, default_args, _key_path=_key_path)


def build_scheduler_from_cfg(
    cfg: Any,
    registry: Registry,
    default_args: Mapping[str, Any] | None = None,
    *,
    _key_path: str | None = None,
) -> _ParamScheduler:
    """``build_from_cfg``, and ``convert_to_iter_based=True`` builds the schedule per
    iteration with ``build_iter_from_epoch`` (``default_args`` give ``epoch_length``)."""
    args = _with_defaults(cfg, default_args)
    with _in_scope(registry, args.pop("_scope_", None)) as chosen:
        if not args.pop("convert_to_iter_based", False):
            args.pop("epoch_length", None)
            return _build_args(chosen, args, _key_path)
        from ..optim.scheduler.builder import _build_bound, _by_epoch_default

        where = _key_path or "param_scheduler"
        if "type" not in args:
            raise BuildKeyError(f"{where} {args!r} has no 'type'; add e.g. type='MultiStepLR'.")
        cls = _resolve_type(chosen, args.pop("type"), f" (config key {where!r})", _key_path)
        optimizer = args.pop("optimizer", None)
        epoch_length = args.pop("epoch_length", None)
        by_epoch = args.get("by_epoch", _by_epoch_default(cls))
        return _build_bound(cls, args, optimizer, epoch_length, by_epoch, True, where)


def build_runner_from_cfg(cfg: Any, registry: Registry) -> Runner:
    """Build the Runner a config asks for: ``runner_type`` (default ``'Runner'``), by its
    ``from_cfg``."""
    from ..config import Config

    if isinstance(cfg, Config):
        args: Any = cfg.copy()
    else:
        args = _plain(cfg, "cfg")
    scope = args.get("_scope_")
    if "_scope_" in args:
        del args["_scope_"]
    with _in_scope(registry, scope) as chosen:
        runner_type = args.get("runner_type", "Runner")
        runner_cls = _resolve_type(chosen, runner_type, " (config key 'runner_type')", None)
        return runner_cls.from_cfg(args)


#: the build functions ``Registry.build`` passes ``_key_path`` and extra default arguments to
KEYED_BUILD_FUNCS = frozenset({build_from_cfg, build_model_from_cfg, build_scheduler_from_cfg})
