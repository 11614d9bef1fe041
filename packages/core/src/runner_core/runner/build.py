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

from ..errors import ConfigError, ConfigTypeError, HookError, did_you_mean
from ..registry import DEFAULT_HOOK_SETS, EVALUATORS, HOOKS, LOOPS, METRICS

DEFAULT_SET_ENV = "RUNNER_DEFAULT_HOOKS"


# -- loops -------------------------------------------------------------------------
def train_loop_cfg(train_cfg: Mapping[str, Any], val_cfg: Mapping[str, Any] | None) -> dict:
    """Resolve ``train_cfg`` to a loop config with a ``type``."""
    cfg = dict(train_cfg)
    if "max_epoch" in cfg and "max_epochs" not in cfg:  # the guide's spelling
        warnings.warn("train_cfg key 'max_epoch' is read as 'max_epochs'.", stacklevel=3)
        cfg["max_epochs"] = cfg.pop("max_epoch")
    if "max_iter" in cfg and "max_iters" not in cfg:
        warnings.warn("train_cfg key 'max_iter' is read as 'max_iters'.", stacklevel=3)
        cfg["max_iters"] = cfg.pop("max_iter")
    if "type" in cfg and "by_epoch" in cfg:
        # both pick the loop; MMEngine refuses the pair too (a RuntimeError, as ours is)
        raise ConfigError(
            f"train_cfg has both type={cfg['type']!r} and by_epoch={cfg['by_epoch']!r}, "
            "which each choose the training loop: keep only one of them "
            "(by_epoch=True/False picks EpochBasedTrainLoop/IterBasedTrainLoop)."
        )
    by_epoch = cfg.pop("by_epoch", None)
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
    if val_cfg and "interval" in val_cfg and "val_interval" not in cfg:
        cfg["val_interval"] = val_cfg["interval"]
    return cfg


def eval_loop_cfg(cfg: Mapping[str, Any] | None, default_type: str) -> dict:
    out = dict(cfg or {})
    out.pop("interval", None)  # the guide's val_cfg=dict(interval=N) belongs to the train loop
    out.setdefault("type", default_type)
    return out


#: the modes an evaluation loop may be built for (it takes the one it is built for)
_EVAL_MODES = ("val", "test")


def build_loop(runner: Any, cfg: Any, mode: str, default_args: dict[str, Any]) -> Any:
    """Build a loop from a config (or pass a built one) and fix its mode."""
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
        loop = LOOPS.build(
            cfg, default_args=dict(runner=runner, **default_args), _key_path=f"{mode}_cfg"
        )
    current = getattr(loop, "mode", None)
    if current is None or (current in _EVAL_MODES and mode in _EVAL_MODES):
        # a ValLoop subclass as test_cfg runs the test points and test_step
        loop.mode = mode
    return loop


# -- evaluators ------------------------------------------------------------------------
#: the config key of the evaluator being built (``val_evaluator``), named in its errors
EVALUATOR_KEY: ContextVar[str] = ContextVar("EVALUATOR_KEY", default="evaluator")


def build_evaluator(cfg: Any) -> Any:
    """An Evaluator from an Evaluator, a metric, a list of them, or configs."""
    from ..evaluator import BaseMetric, Evaluator

    key = EVALUATOR_KEY.get()
    if isinstance(cfg, Evaluator):
        return cfg
    if isinstance(cfg, BaseMetric):
        return Evaluator([cfg])
    if isinstance(cfg, (list, tuple)):
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
            return EVALUATORS.build(spec)
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

    available = DEFAULT_HOOK_SETS.keys()
    chosen = choose_default_set(name, config_path)[0]
    if chosen is None:
        if "standard" in available:
            chosen = "standard"
        elif len(available) == 1:
            chosen = available[0]
        else:
            if available:
                warnings.warn(
                    f"Several default-hooks sets are installed ({', '.join(available)}) and none "
                    f"is chosen: set default_hooks_set='<name>' in the config.",
                    stacklevel=3,
                )
            return None, {}
    if chosen == "none":  # an explicit empty set: only the hooks the config names
        return "none", {}
    factory = DEFAULT_HOOK_SETS.lookup(chosen)
    try:
        hooks = factory() if callable(factory) else factory
        return chosen, {k: copy.deepcopy(v) for k, v in dict(hooks).items()}
    except Exception as exc:  # a plugin's set: name it, whatever went wrong inside
        offered = [e.distribution for e in DEFAULT_HOOK_SETS.entry_points(chosen)]
        source = f" (from {', '.join(offered)})" if offered else ""
        raise HookError(
            f"The default-hooks set {chosen!r}{source} failed to give its hooks: "
            f"{type(exc).__name__}: {exc}. It must return a dict of role -> hook config; fix "
            "or reinstall the plugin, or choose another set with default_hooks_set='...' "
            "('standard', or 'none' for only the hooks the config names)."
        ) from exc


def merge_default_hooks(
    defaults: dict[str, Any], overrides: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Per role: ``None`` removes, a dict without ``type`` updates, anything else replaces.

    A role close to a known one (``chekpoint``) is an error with "did you mean";
    a distinct new role adds a hook.
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
        else:
            merged[role] = value
    return merged


def build_hook(cfg: Any, key_path: str) -> tuple[Any, Any]:
    """Build one hook; return (hook, priority from the config or None)."""
    if not isinstance(cfg, Mapping):
        return cfg, None
    spec = dict(cfg)
    priority = spec.pop("priority", None)
    return HOOKS.build(spec, _key_path=key_path), priority


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
