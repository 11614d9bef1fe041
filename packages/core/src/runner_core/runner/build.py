"""How the Runner turns config dicts into parts: loops, evaluators, hooks.

Kept out of ``runner.py`` so the Runner reads as the order of a run, and so
each rule (which loop ``by_epoch`` picks, how ``default_hooks`` merge with the
active default set) lives in one place.
"""

from __future__ import annotations

import copy
import difflib
import warnings
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from ..errors import (
    BuildError,
    BuildKeyError,
    ConfigAssertionTypeError,
    ConfigError,
    ConfigTypeError,
    HookError,
    HookTypeError,
    PluginError,
    RegistryError,
    did_you_mean,
    name_config_key,
    stacklevel_outside_runner_core,
)
from ..hooks import Hook
from ..loop import BaseLoop
from ..registry import (
    DEFAULT_HOOK_SETS,
    EVALUATORS,
    HOOKS,
    LOOPS,
    METRICS,
    Registry,
    accepts_argument,
)
from ..registry.build_functions import offered_by
from ..standard import (
    NO_SET_INSTALLED,
    STANDARD_HOOKS_DIST,
    STANDARD_LOOPS,
    STANDARD_LOOPS_DIST,
    plugin_listing_hint,
)
from ..value_checks import refuse_class

DEFAULT_SET_ENV = "RUNNER_DEFAULT_HOOKS"


# -- loops -------------------------------------------------------------------------
def train_loop_cfg(train_cfg: Mapping[str, Any], val_cfg: Mapping[str, Any] | None) -> dict:
    """Resolve ``train_cfg`` to a loop config with a ``type``."""
    cfg = dict(train_cfg)
    if "max_epoch" in cfg and "max_epochs" not in cfg:  # the guide's spelling
        warnings.warn(
            "train_cfg key 'max_epoch' is read as 'max_epochs'.",
            stacklevel=stacklevel_outside_runner_core(),
        )
        cfg["max_epochs"] = cfg.pop("max_epoch")
    if "max_iter" in cfg and "max_iters" not in cfg:
        warnings.warn(
            "train_cfg key 'max_iter' is read as 'max_iters'.",
            stacklevel=stacklevel_outside_runner_core(),
        )
        cfg["max_iters"] = cfg.pop("max_iter")
    if "type" in cfg and "by_epoch" in cfg and _agrees_with_by_epoch(cfg["type"], cfg["by_epoch"]):
        # 'runner-loops-standard::EpochBasedTrainLoop' (the way out of a name two plugins
        # offer) with the by_epoch that picks that loop anyway: one choice, not two
        cfg.pop("by_epoch")
    if "type" in cfg and "by_epoch" in cfg:
        # both pick the loop; MMEngine refuses the pair too (a RuntimeError, as ours is)
        raise ConfigError(
            f"train_cfg has both type={cfg['type']!r} and by_epoch={cfg['by_epoch']!r}, "
            "which each choose the training loop: keep only one of them "
            "(by_epoch=True/False picks EpochBasedTrainLoop/IterBasedTrainLoop)."
        )
    by_epoch = cfg.pop("by_epoch", None)
    if "type" not in cfg and "max_epochs" in cfg and "max_iters" in cfg:
        # the loop's own error said "did you mean 'max_iters'" with max_iters already there
        raise ConfigTypeError(
            f"train_cfg has both max_epochs={cfg['max_epochs']!r} and max_iters="
            f"{cfg['max_iters']!r}: a run is counted in one of them. Keep max_epochs for "
            "an epoch-based run (EpochBasedTrainLoop), or max_iters with by_epoch=False for "
            "an iteration-based one (IterBasedTrainLoop)."
        )
    if "type" not in cfg:
        if by_epoch is None:
            by_epoch = "max_iters" not in cfg
        cfg["type"] = "EpochBasedTrainLoop" if by_epoch else "IterBasedTrainLoop"
        # TypeErrors too: MMEngine passes these keys to the loop as keyword arguments
        if by_epoch and "max_epochs" not in cfg:
            raise ConfigTypeError(
                "train_cfg has by_epoch=True but no max_epochs: add max_epochs=N "
                "(or by_epoch=False, max_iters=N for an iteration-based run)."
            )
        if not by_epoch and "max_iters" not in cfg:
            extra = " (max_epochs is for by_epoch=True)" if "max_epochs" in cfg else ""
            raise ConfigTypeError(
                f"train_cfg has by_epoch=False but no max_iters: add max_iters=N{extra}."
            )
    if val_cfg and "interval" in val_cfg and "val_interval" in cfg:
        if val_cfg["interval"] != cfg["val_interval"]:  # one would be dropped silently
            raise ConfigTypeError(
                f"val_cfg.interval={val_cfg['interval']!r} and train_cfg.val_interval="
                f"{cfg['val_interval']!r} both say how often to validate: keep only "
                "train_cfg.val_interval (MMEngine's ValLoop takes no interval)."
            )
    if val_cfg and "interval" in val_cfg and "val_interval" not in cfg:
        from ..value_checks import check_number

        # checked here: the loop would name train_cfg.val_interval, which the config lacks
        check_number(val_cfg["interval"], "val_cfg.interval", minimum=1, integer=True)
        cfg["val_interval"] = val_cfg["interval"]
    return cfg


def _agrees_with_by_epoch(kind: Any, by_epoch: Any) -> bool:
    """A distribution-qualified standard loop type that ``by_epoch`` would pick too."""
    if not isinstance(kind, str) or "::" not in kind or not isinstance(by_epoch, bool):
        return False
    return kind.partition("::")[2] == ("EpochBasedTrainLoop" if by_epoch else "IterBasedTrainLoop")


def eval_loop_cfg(cfg: Mapping[str, Any] | None, default_type: str) -> dict:
    out = dict(cfg or {})
    out.pop("interval", None)  # the guide's val_cfg=dict(interval=N) belongs to the train loop
    out.setdefault("type", default_type)
    return out


#: the modes an evaluation loop may be built for (it takes the one it is built for)
_EVAL_MODES = ("val", "test")


def loop_class(kind: str, mode: str, type_given: bool = True) -> Any:
    """The loop class ``kind`` names for ``<mode>_cfg``.

    Errors name the config key the user wrote: ``train_cfg.type``, or
    ``train_cfg`` when the Runner picked the type (``by_epoch``, the default
    ``ValLoop``). A standard loop no installed distribution offers says which
    distribution to install.
    """
    key = f"{mode}_cfg.type" if type_given else f"{mode}_cfg"
    if not type_given and STANDARD_LOOPS_DIST in {e.distribution for e in LOOPS.entry_points(kind)}:
        # the Runner picked the standard loop (MMEngine builds its own class directly), as
        # the standard hooks set names its hooks: not a class of that name the default
        # scope's library registers in its child LOOPS
        kind = f"{STANDARD_LOOPS_DIST}::{kind}"
    try:
        return LOOPS.lookup(kind)
    except PluginError as exc:  # two plugins offer it, or it failed to load
        offered = {e.distribution for e in LOOPS.entry_points(kind)}
        if not type_given and STANDARD_LOOPS_DIST in offered and len(offered) > 1:
            # the Runner picked the standard loop by its name, and another plugin's loop
            # shares it: the user named nothing, so the standard one is meant (as the
            # standard hooks set names its hooks with their distribution)
            return LOOPS.lookup(f"{STANDARD_LOOPS_DIST}::{kind}")
        name_config_key(exc, key)
        raise
    except RegistryError as exc:
        if kind.rpartition("::")[2] not in STANDARD_LOOPS:
            name_config_key(exc, key)
            raise
        raise RegistryError(_missing_standard_loop(kind, mode, type_given)) from exc


def _missing_standard_loop(kind: str, mode: str, type_given: bool) -> str:
    if type_given:
        what = f"{mode}_cfg.type={kind!r} names one of the standard loops"
    else:
        picked = {
            "EpochBasedTrainLoop": " (by_epoch=True, or max_epochs without max_iters, picks it)",
            "IterBasedTrainLoop": " (by_epoch=False, or max_iters, picks it)",
        }.get(kind, "")
        what = f"{mode}_cfg names no type, so the Runner runs the standard loop {kind!r}{picked}"
    return (
        f"{what}, and no installed distribution offers it: the standard loops come with "
        f"{STANDARD_LOOPS_DIST}. Install it (`pip install {STANDARD_LOOPS_DIST}`), or name an "
        f"installed loop with {mode}_cfg=dict(type='...') ({plugin_listing_hint('LOOPS')})."
    )


def build_loop(
    runner: Any, cfg: Any, mode: str, default_args: dict[str, Any], *, type_given: bool = True
) -> Any:
    """Build a loop from a config (or pass a built one) and fix its mode.

    ``type_given=False``: the Runner chose the config's type (errors name
    ``<mode>_cfg``, not a ``type`` key the config does not have).
    """
    if not isinstance(cfg, Mapping):
        if not hasattr(cfg, "run"):  # train_cfg=5: not a config, not a loop
            raise ConfigTypeError(
                f"{mode}_cfg={cfg!r} is not valid: give a dict, e.g. "
                + (
                    "train_cfg=dict(by_epoch=True, max_epochs=10)"
                    if mode == "train"
                    else f"{mode}_cfg=dict()"
                )
                + ", or a built loop."
            )
        loop = cfg
    else:
        spec = dict(cfg)
        kind = spec.get("type")
        if isinstance(kind, str) and "_scope_" not in spec:
            spec["type"] = loop_class(kind, mode, type_given)
        if mode == "train" and isinstance(spec["type"], type):
            check_counted_in(spec["type"], spec)
        loop = LOOPS.build(
            spec, default_args=dict(runner=runner, **default_args), _key_path=f"{mode}_cfg"
        )
        if not isinstance(loop, BaseLoop):
            raise ConfigTypeError(
                wrong_kind_message(LOOPS, kind, loop, f"{mode}_cfg", "runner_core.loop.BaseLoop")
            )
    current = getattr(loop, "mode", None)
    if current is None or (current in _EVAL_MODES and mode in _EVAL_MODES):
        # a ValLoop subclass as test_cfg runs the test points and test_step
        loop.mode = mode
    return loop


def check_counted_in(loop_cls: type, cfg: Mapping[str, Any]) -> None:
    """Refuse a train loop given the length its counterpart counts in: ``max_iters`` for
    an epoch-based loop, ``max_epochs`` for an iteration-based one. The generic "did you
    mean" named the other key, never the other loop (the TypeError MMEngine raises)."""
    for given, takes, other, by_epoch, unit in (
        ("max_iters", "max_epochs", "IterBasedTrainLoop", False, "iterations"),
        ("max_epochs", "max_iters", "EpochBasedTrainLoop", True, "epochs"),
    ):
        if (
            given not in cfg
            or takes in cfg
            or accepts_argument(loop_cls, given)
            or not accepts_argument(loop_cls, takes)
        ):
            continue
        name = loop_cls.__name__
        raise BuildError(
            f"train_cfg.type={name!r} counts the run in {takes}, but train_cfg gives "
            f"{given}={cfg[given]!r}, which it does not take. For a run counted in "
            f"{unit}, use type={other!r} "
            f"(or drop type: train_cfg=dict(by_epoch={by_epoch}, {given}={cfg[given]!r})); "
            f"to keep {name}, write {takes}=N instead of {given}."
        )


def wrong_kind_message(registry: Registry, kind: Any, obj: Any, key_path: str, base: str) -> str:
    """Why the object built at ``key_path`` cannot be used, naming the plugin that offered it."""
    name, entry = offered_by(registry, kind)
    source = f" (the {entry.where()})" if entry else ""
    fix = (
        f"fix that entry point of {entry.distribution}, or uninstall it "
        f"(`pip uninstall {entry.distribution}`), or "
        if entry
        else ""
    )
    return (
        f"{key_path}: {name!r} in the {registry.name} registry{source} gave a "
        f"{type(obj).__name__}, which is not a {base} (a {registry.name} must subclass it). "
        f"To fix it: {fix}name another {registry.name} at config key {key_path + '.type'!r}."
    )


# -- loaders ---------------------------------------------------------------------------
#: the config key of the loader being built (``train_dataloader``), named in its errors
LOADER_KEY: ContextVar[str] = ContextVar("LOADER_KEY", default="dataloader")


# -- evaluators ------------------------------------------------------------------------
#: the config key of the evaluator being built (``val_evaluator``), named in its errors
EVALUATOR_KEY: ContextVar[str] = ContextVar("EVALUATOR_KEY", default="evaluator")


def _metric_name_message(key: str, name: Any) -> str:
    """A metric given by its bare name: used as it is, it failed at the first val batch."""
    return (
        f"{key} is the string {name!r}, not a metric: write dict(type={name!r}) in its "
        f"place, at config key {key!r} (or a built metric)."
    )


def build_evaluator(cfg: Any) -> Any:
    """An Evaluator from an Evaluator, a metric, a list of them, or configs."""
    from ..evaluator import BaseMetric, Evaluator

    key = EVALUATOR_KEY.get()
    if isinstance(cfg, Evaluator):
        return cfg
    if isinstance(cfg, BaseMetric):
        return Evaluator([cfg])
    if isinstance(cfg, (str, bytes)):  # MMEngine's loops assert an Evaluator
        raise ConfigAssertionTypeError(_metric_name_message(key, cfg))
    refuse_class(cfg, key, "an evaluator or a metric")
    if isinstance(cfg, (list, tuple)):
        for i, spec in enumerate(cfg):
            if isinstance(spec, (str, bytes)):
                raise ConfigTypeError(_metric_name_message(f"{key}[{i}]", spec))
            refuse_class(spec, f"{key}[{i}]", "a metric")
        return Evaluator(
            [
                METRICS.build(spec, _key_path=f"{key}[{i}]") if isinstance(spec, Mapping) else spec
                for i, spec in enumerate(cfg)
            ]
        )
    if isinstance(cfg, Mapping):
        kind = cfg.get("type", "Evaluator")  # a class, when a pure-Python config imported it
        if (
            isinstance(kind, str)
            and kind in EVALUATORS.keys()
            or kind == "Evaluator"
            or isinstance(kind, type)
            and issubclass(kind, Evaluator)
        ):
            spec = dict(cfg)
            spec.setdefault("type", "Evaluator")
            metrics = spec.get("metrics")
            if isinstance(metrics, (str, bytes)):
                raise ConfigTypeError(_metric_name_message(f"{key}.metrics", metrics))
            return EVALUATORS.build(spec, _key_path=key)
        return Evaluator([METRICS.build(cfg, _key_path=key)])
    return cfg


# -- hooks -------------------------------------------------------------------------------
def active_default_set(
    name: str | None = None, config_path: str | None = None
) -> tuple[str | None, dict[str, Any]]:
    """The default-hooks set to use: ``name``, else $RUNNER_DEFAULT_HOOKS, else
    ``[tool.runner]`` of the pyproject.toml nearest ``config_path`` (see
    runner_core.project), else ``'standard'``, else the only one installed;
    ``'none'`` is the empty set. Returns (name, role -> cfg)."""
    from ..project import choose_default_set

    if name is not None and not isinstance(name, str):
        raise ConfigTypeError(
            f"default_hooks_set={name!r} is not valid: give the name of an installed "
            "default-hooks set, e.g. default_hooks_set='standard' (or 'none')."
        )
    available = DEFAULT_HOOK_SETS.keys()
    chosen, source = choose_default_set(name, config_path)
    if chosen is None:
        if "standard" in available:
            chosen = "standard"
        elif len(available) == 1:
            chosen = available[0]
        elif available:  # guessing would pick one silently: the user picks
            raise ConfigError(
                f"Several default-hooks sets are installed ({', '.join(available)}) and none "
                "is chosen, and without one this run would get no default hooks (nothing "
                "steps its param_scheduler, saves checkpoints or logs). Choose one: "
                f"default_hooks_set={available[0]!r} in the config, the RUNNER_DEFAULT_HOOKS "
                "environment variable, or default_hooks_set in [tool.runner] of the project's "
                "pyproject.toml; 'none' runs only the hooks the config names."
            )
        else:
            warnings.warn(NO_SET_INSTALLED, stacklevel=3)
            return None, {}
    if chosen == "none":  # an explicit empty set: only the hooks the config names
        return "none", {}
    try:
        factory = DEFAULT_HOOK_SETS.lookup(chosen)
    except PluginError as exc:  # two plugins offer it, or it failed to load: who chose it
        chooser = (
            "the default: no config, $RUNNER_DEFAULT_HOOKS or [tool.runner] chose another"
            if source == "default"
            else f"chosen by {source}"
        )
        exc.args = (f"{exc.args[0]} (the default-hooks set {chosen!r} is {chooser}.)",)
        raise
    except RegistryError as exc:  # a misspelt name: say where it was written
        raise RegistryError(
            f"The default-hooks set {chosen!r}, chosen by {source}, is not installed."
            f"{did_you_mean(chosen, available)} Installed sets: {', '.join(available) or 'none'} "
            f"({plugin_listing_hint('DEFAULT_HOOK_SETS')}). Fix the name there, or install the "
            "plugin that offers it; 'none' runs only the hooks the config names."
        ) from exc
    try:
        hooks = factory() if callable(factory) else factory
    except Exception as exc:  # a plugin's set: name it, whatever went wrong inside
        raise HookError(_broken_set_message(chosen, exc, "")) from exc
    try:
        return chosen, {k: copy.deepcopy(v) for k, v in dict(hooks).items()}
    except Exception as exc:
        shape = f"It returned {type(hooks).__name__}, not a dict of role -> hook config. "
        raise HookError(_broken_set_message(chosen, exc, shape)) from exc


def _broken_set_message(chosen: str, exc: Exception, shape: str) -> str:
    offered = [e.distribution for e in DEFAULT_HOOK_SETS.entry_points(chosen)]
    source = f" (from {', '.join(offered)})" if offered else ""
    authors = f"{' or '.join(offered)}'s authors" if offered else "its authors"
    return (
        f"The default-hooks set {chosen!r}{source} failed to give its hooks: "
        f"{type(exc).__name__}: {str(exc).rstrip('. ')}. {shape}Fix or reinstall the plugin "
        f"(or report it to {authors}), or choose another set with default_hooks_set='...' "
        "('standard', or 'none' for only the hooks the config names)."
    )


def merge_default_hooks(
    defaults: dict[str, Any],
    overrides: Mapping[str, Any] | None,
    set_name: str | None = None,
) -> dict[str, Any]:
    """Per role: ``None`` removes, a dict without ``type`` updates, anything else replaces.

    A role close to a known one (``chekpoint``) is an error with "did you mean";
    a distinct new role adds a hook. A dict without ``type`` for a role the
    set (``set_name``, None for no set) does not have is an error saying why.
    """
    merged = dict(defaults)
    for role, value in (overrides or {}).items():
        if role not in defaults and defaults:
            # a strict cutoff: the guide's extra role 'optimizer' is not a typo of 'timer'
            close = difflib.get_close_matches(role, list(defaults), n=1, cutoff=0.8)
            hint = did_you_mean(role, close) if close else ""
            if hint:
                raise HookError(
                    f"default_hooks has an unknown role {role!r}.{hint} A misspelled role would "
                    f"add a second hook instead of configuring the default one. Known roles: "
                    f"{', '.join(defaults)}."
                )
        if value is None:
            merged.pop(role, None)
        elif (
            isinstance(value, Mapping)
            and "type" not in value
            and isinstance(merged.get(role), Mapping)
        ):
            merged[role] = {**merged[role], **value}
        elif isinstance(value, Mapping) and "type" not in value and role not in merged:
            raise BuildKeyError(_nothing_to_update(role, value, defaults, set_name))
        else:
            merged[role] = value
    return merged


def roles_replaced(defaults: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, str]:
    """The set's roles that ``overrides`` gives another hook type: role -> the set's type."""
    out = {}
    for role, value in overrides.items():
        own = defaults.get(role)
        if value is None or own is None or isinstance(value, Mapping) and "type" not in value:
            continue
        theirs, ours = _hook_type(value), _hook_type(own)
        if theirs is None or ours is None:
            continue
        if isinstance(theirs, type) and isinstance(ours, type):
            differ = theirs is not ours  # one class however named ('dist::Name', an alias)
        else:  # one cannot be resolved here: compare the names
            differ = _type_name(theirs) != _type_name(ours)
        if differ:
            out[role] = _type_name(ours)
    return out


def _hook_type(cfg: Any) -> type | str | None:
    """The hook class a config (or hook) names; its bare name when it cannot be resolved
    here (a broken plugin is reported when the hook is built)."""
    kind = cfg.get("type") if isinstance(cfg, Mapping) else type(cfg)
    if isinstance(kind, str):
        try:
            found = HOOKS.get(kind)
        except Exception:
            found = None
        return found if isinstance(found, type) else kind.rpartition(":")[2].rpartition(".")[2]
    return kind if isinstance(kind, type) else None


def _type_name(kind: type | str) -> str:
    return kind if isinstance(kind, str) else kind.__name__


def replaced_roles_message(set_name: str, replaced: Mapping[str, str]) -> str:
    """A chosen set whose hooks the config replaces, as MMEngine's configs do for every role
    (``logger=dict(type='LoggerHook', ...)``): a project-wide swap undone without a word."""
    roles = ", ".join(f"{role} (the set's {kind})" for role, kind in replaced.items())
    return (
        f"The config's default_hooks give other hooks than the default-hooks set "
        f"{set_name!r} for: {roles}. A role given with 'type' replaces the set's hook; to "
        "keep the set's hook and change its arguments, give the role without 'type' "
        "(e.g. logger=dict(interval=10))."
    )


def _nothing_to_update(
    role: str, value: Mapping[str, Any], defaults: Mapping[str, Any], set_name: str | None
) -> str:
    """Why ``default_hooks.<role>`` (a dict without ``type``) has no default hook to update."""
    given = f"default_hooks.{role}={dict(value)!r} has no 'type', so it updates the default hook"
    add = f"or give the whole hook, e.g. {role}=dict(type='<hook>', ...)"
    if set_name == "none":
        return (
            f"{given} of that role, but default_hooks_set='none' has no default hooks: choose "
            f"a set that has the role, {add}."
        )
    if set_name is None and not defaults:
        if not DEFAULT_HOOK_SETS.keys():
            return (
                f"{given} of that role, but no default-hooks set is installed to give one. "
                f"Install the standard set (`pip install {STANDARD_HOOKS_DIST}`), {add}."
            )
        return (
            f"{given} of that role, but no default-hooks set is chosen: set "
            f"default_hooks_set='<name>', {add}."
        )
    which = f" {set_name!r}" if set_name else ""
    return (
        f"{given} of that role, but the default-hooks set{which} has no role {role!r} "
        f"(its roles: {', '.join(defaults) or 'none'}): {add}."
    )


def build_hook(cfg: Any, key_path: str) -> tuple[Any, Any]:
    """Build one hook; return (hook, priority from the config or None)."""
    if not isinstance(cfg, Mapping):
        return cfg, None
    spec = dict(cfg)
    # without a type the build fails: its message shows the dict as written
    priority = spec.pop("priority", None) if "type" in spec else None
    kind = spec.get("type")
    hook = HOOKS.build(spec, _key_path=key_path)  # a failing constructor: noted there
    if not isinstance(hook, Hook):
        raise HookTypeError(
            wrong_kind_message(HOOKS, kind, hook, key_path, "runner_core.hooks.Hook")
        )
    return hook, priority


def check_duplicate_roles(built: list[tuple[str, Any]]) -> None:
    """Two roles holding hooks of one type is almost always a typo: say which."""
    seen: dict[type, str] = {}
    for role, hook in built:
        kind = type(hook)
        if kind in seen and not getattr(hook, "allow_duplicates", False):
            raise HookError(
                f"default_hooks roles {seen[kind]!r} and {role!r} both hold a {kind.__name__}; "
                f"one run would have two of them. Remove one role (set it to None) or fix the "
                f"misspelled role name."
            )
        seen[kind] = role


#: the default-hooks role that steps ``param_scheduler`` (the standard set's, MMEngine's)
SCHEDULER_ROLE = "param_scheduler"


def unstepped_schedulers_message(
    schedulers: Any, roles: Any, hook_classes: Any, set_name: str | None
) -> str | None:
    """Why nothing will step the config's schedulers, or None when something will.

    A hook in the ``param_scheduler`` role (among ``roles``) steps them, as
    does any ``ParamSchedulerHook`` (a subclass in ``custom_hooks`` included,
    among ``hook_classes``); a run without one keeps its starting learning
    rate, silently in MMEngine.
    """
    if not schedulers or SCHEDULER_ROLE in roles:
        return None
    for hook_class in hook_classes:
        if any(cls.__name__ == "ParamSchedulerHook" for cls in getattr(hook_class, "__mro__", ())):
            return None
    if set_name is None:  # no set at all: the start already warned (NO_SET_INSTALLED)
        where = "no default-hooks set"
    elif set_name == "none":
        where = "default_hooks_set='none'"
    else:
        where = (
            f"the default-hooks set {set_name!r} has no {SCHEDULER_ROLE!r} role, or "
            "default_hooks removes it"
        )
    return (
        f"param_scheduler is set, but no hook steps it ({where}): the learning rate stays at "
        f"its starting value for the whole run. Add default_hooks=dict({SCHEDULER_ROLE}="
        "dict(type='ParamSchedulerHook')), or remove param_scheduler."
    )
