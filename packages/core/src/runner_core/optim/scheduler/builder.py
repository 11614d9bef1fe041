"""Build the ``param_scheduler`` part of a config into scheduler objects.

Like MMEngine's Runner: one config or a list; ``end`` defaults to the length
of training (``max_epochs`` for ``by_epoch`` schedulers, ``max_iters``
otherwise) when the train loop is known; ``convert_to_iter_based=True`` turns
an epoch schedule into a per-iteration one. Unlike MMEngine, a config without
``by_epoch`` takes the scheduler class's own default when choosing the default
``end`` (MMEngine assumes True: a plugin's class that defaults to False gets
``max_iters`` here), and schedulers created without an optimizer (the Runner
guide's ``MultiStepLR(milestones=[80, 90])``) are bound here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import (
    BuildAssertionError,
    BuildError,
    BuildKeyError,
    RegistryError,
    did_you_mean,
    name_config_key,
)
from ...registry import PARAM_SCHEDULERS
from ...value_checks import config_errors
from .base import INF, _ParamScheduler

_COMPOSE = (
    "compose the schedule from runner's schedulers (a list of dicts, each active in its "
    "begin/end window)"
)
#: torch schedulers that take a Python function: none here has a counterpart
_FUNCTION_SCHEDULERS = ("LambdaLR", "MultiplicativeLR")
#: torch scheduler names a config may carry over, and what to write instead
_TORCH_ONLY = {
    **{
        name: f"torch's {name} takes a Python function, which has no counterpart here: {_COMPOSE}."
        for name in _FUNCTION_SCHEDULERS
    },
    "CosineAnnealingWarmRestarts": (
        "torch's CosineAnnealingWarmRestarts is CosineRestartLR here, as in MMEngine: "
        "dict(type='CosineRestartLR', periods=[...], restart_weights=[...], eta_min=...)."
    ),
    "SequentialLR": (
        f"torch's SequentialLR is a list here: {_COMPOSE}; its milestones are where one "
        "window ends and the next begins."
    ),
    "ChainedScheduler": (
        "torch's ChainedScheduler is a list here: schedulers in param_scheduler whose "
        "begin/end windows overlap are applied one after the other."
    ),
    "CyclicLR": f"runner has no CyclicLR: OneCycleLR, or {_COMPOSE}.",
}


def _by_epoch_default(cls: Any) -> bool:
    try:
        param = cls.__signature__.parameters.get("by_epoch")
    except AttributeError:
        return True
    return True if param is None or param.default is param.empty else bool(param.default)


def _build_one(
    item: Any,
    optim_wrapper: Any,
    epoch_length: int | None,
    max_epochs: int | None,
    max_iters: int | None,
    where: str,
) -> _ParamScheduler:
    if isinstance(item, _ParamScheduler):
        if item.is_bound:
            return item
        cfg = item.unbound_cfg()
    elif isinstance(item, Mapping):
        cfg = dict(item)
    else:
        hint = ""
        if type(item).__module__.startswith("torch.optim"):
            name = type(item).__name__
            hint = (
                f" torch.optim.lr_scheduler.{name} is not a runner scheduler: the Runner steps, "
                "checkpoints and resumes only its own (MMEngine's) schedulers. "
            )
            if name in PARAM_SCHEDULERS.keys():
                hint += (
                    f"Use dict(type='{name}', ...) instead (by_epoch=False steps it every "
                    "iteration, as Lightning's interval='step')."
                )
            elif name in _TORCH_ONLY and name not in _FUNCTION_SCHEDULERS:
                hint += _TORCH_ONLY[name]
            else:
                hint += f"runner has no {name}; {_COMPOSE}."
        raise BuildError(
            f"{where} must be a scheduler config dict (dict(type='MultiStepLR', milestones=[8, 11])) "
            f"or a runner_core.optim.scheduler object, got {type(item).__name__}: {item!r}.{hint}"
        )
    if "type" not in cfg:
        raise BuildKeyError(
            f"{where} {cfg!r} has no 'type'; add e.g. type='LinearLR' or type='MultiStepLR'."
        )
    kind = cfg.pop("type")
    try:
        cls = PARAM_SCHEDULERS.lookup(kind) if isinstance(kind, str) else kind
    except RegistryError as exc:  # name the key, as other builds do
        missing = _TORCH_ONLY.get(kind) if isinstance(kind, str) else None
        if missing:  # say what to write first: the did-you-mean only misleads here
            exc.args = (
                f"{kind!r} is not in the parameter scheduler registry (at config key "
                f"{where + '.type'!r}): {missing}",
            )
        else:
            name_config_key(exc, where + ".type")
        raise
    if not (isinstance(cls, type) and issubclass(cls, _ParamScheduler)):
        # A third-party scheduler class: build it as it is, no conversion rules.
        cfg.setdefault("optimizer", optim_wrapper)
        return cls(**cfg)
    check_scheduler_numbers(cfg, where)  # begin='x' would fail comparing with the end below
    convert = cfg.pop("convert_to_iter_based", False)
    cfg.pop("_scope_", None)
    by_epoch = cfg.get("by_epoch", _by_epoch_default(cls))
    follows_run = False
    if "end" not in cfg:
        default_end = max_epochs if by_epoch else max_iters
        if default_end is not None and default_end > cfg.get("begin", 0):
            cfg["end"] = default_end
            follows_run = True
    scheduler = _build_bound(cls, cfg, optim_wrapper, epoch_length, by_epoch, convert, where)
    if follows_run:  # a resume into a longer or shorter run stretches the schedule
        scheduler.end_follows_run = True
    return scheduler


def _build_bound(
    cls: type[_ParamScheduler],
    cfg: dict[str, Any],
    optim_wrapper: Any,
    epoch_length: int | None,
    by_epoch: bool,
    convert: bool,
    where: str,
) -> _ParamScheduler:
    check_scheduler_numbers(cfg, where)
    if convert:
        if not by_epoch:
            raise BuildAssertionError(
                f"{where} ({cls.__name__}) sets convert_to_iter_based=True with by_epoch=False; "
                "only an epoch-based schedule can be converted. Drop one of the two."
            )
        if epoch_length is None:
            raise BuildAssertionError(  # MMEngine asserts it
                f"{where} ({cls.__name__}) sets convert_to_iter_based=True, which needs the "
                "number of iterations per epoch (the length of the train dataloader): pass "
                "epoch_length to build_param_schedulers."
            )
        _check(cls, cfg, where)
        with config_errors(where, cls.__name__):
            return cls.build_iter_from_epoch(
                optimizer=optim_wrapper, epoch_length=epoch_length, **cfg
            )
    _check(cls, cfg, where)
    with config_errors(where, cls.__name__):  # torch's and our own argument errors, keyed
        return cls(optimizer=optim_wrapper, **cfg)


#: Scheduler arguments that are plain numbers (a string there fails only mid-training).
_NUMERIC_ARGS = (
    "gamma",
    "eta_min",
    "eta_max",
    "eta_min_ratio",
    "start_factor",
    "end_factor",
    "factor",
    "power",
    "begin",
    "end",
)


#: Of those, the ones that may also be one number per param group (``OneCycleLR(eta_max=[...])``).
_PER_GROUP_ARGS = ("eta_max",)


def check_scheduler_numbers(cfg: Mapping[str, Any], where: str) -> None:
    """Refuse a scheduler config's arguments that must be numbers but are not (``gamma='x'``
    fails only mid-training otherwise), naming ``<where>.<argument>``."""
    from ...value_checks import check_number, refuse_string_switch

    for switch in ("by_epoch", "convert_to_iter_based"):
        refuse_string_switch(cfg.get(switch), f"{where}.{switch}")
    for key in _NUMERIC_ARGS:
        value = cfg.get(key)
        if key in _PER_GROUP_ARGS and isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                check_number(item, f"{where}.{key}[{i}]")
        elif value is not None and not (key == "end" and value == INF):
            check_number(value, f"{where}.{key}")


def scheduler_span_problem(cfg: Mapping[str, Any]) -> str | None:
    """What is wrong with a scheduler config's explicit ``end <= begin`` (refused when the run
    builds one of ours; a third-party class has its own rules), else None. For checks
    that do not build it (``runner-cli config check``)."""
    kind = cfg.get("type")
    try:
        cls = PARAM_SCHEDULERS.lookup(kind) if isinstance(kind, str) else kind
    except RegistryError:
        return None  # the type's own problem, reported where it is looked up
    if not (isinstance(cls, type) and issubclass(cls, _ParamScheduler)):
        return None
    begin, end = cfg.get("begin", 0), cfg.get("end")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (begin, end)):
        return None
    if end > begin:
        return None
    return (
        f"needs end > begin, got begin={begin}, end={end}: a scheduler acts on the steps "
        "begin <= step < end, and the run refuses one with none. Raise end (or drop it to "
        "follow the run's length)."
    )


def _check(cls: type, cfg: Mapping[str, Any], where: str) -> None:
    from ...registry import check_arguments

    check_arguments(cls, {"optimizer": None, **cfg}, where)


def _build_list(
    cfgs: Any,
    optim_wrapper: Any,
    epoch_length: int | None,
    max_epochs: int | None,
    max_iters: int | None,
    where: str,
) -> list[_ParamScheduler]:
    if cfgs is None:
        return []
    items = cfgs if isinstance(cfgs, Sequence) and not isinstance(cfgs, (str, Mapping)) else [cfgs]
    many = len(items) > 1 or items is cfgs
    return [
        _build_one(
            item,
            optim_wrapper,
            epoch_length,
            max_epochs,
            max_iters,
            f"{where}[{i}]" if many else where,
        )
        for i, item in enumerate(items)
    ]


def build_param_schedulers(
    cfgs: Any,
    optim_wrapper: Any,
    *,
    epoch_length: int | None = None,
    max_epochs: int | None = None,
    max_iters: int | None = None,
) -> list[_ParamScheduler] | dict[str, list[_ParamScheduler]]:
    """Build schedulers for ``optim_wrapper`` from configs and/or scheduler objects.

    Args:
        cfgs: a config dict, a scheduler object, or a list of them. For an
            ``OptimWrapperDict``, a dict keyed by wrapper name (each value one
            config or a list) gives each wrapper its own schedulers; a plain
            config or list is applied to every wrapper.
        optim_wrapper: the ``OptimWrapper`` (or torch optimizer, or ``OptimWrapperDict``).
        epoch_length: iterations per epoch, for ``convert_to_iter_based=True``.
        max_epochs, max_iters: the length of training; the default ``end``.

    Returns:
        A list of schedulers, or for an ``OptimWrapperDict`` a dict name -> list.
    """
    from ..optim_wrapper_dict import OptimWrapperDict

    args = (epoch_length, max_epochs, max_iters)
    if not isinstance(optim_wrapper, OptimWrapperDict):
        if isinstance(cfgs, Mapping) and "type" not in cfgs:
            raise BuildError(
                f"param_scheduler {dict(cfgs)!r} has no 'type'. A dict keyed by optimizer name is "
                "only for an OptimWrapperDict (several optimizers); add type='...'."
            )
        return _build_list(cfgs, optim_wrapper, *args, where="param_scheduler")
    names = list(optim_wrapper.keys())
    if isinstance(cfgs, Mapping) and "type" not in cfgs:
        unknown = [k for k in cfgs if k not in optim_wrapper]
        if unknown:
            hints = "".join(did_you_mean(k, names) for k in unknown)
            raise BuildError(
                f"param_scheduler has keys {unknown} that name no optim wrapper; the optim "
                f"wrappers are {names}.{hints}"
            )
        return {
            name: _build_list(
                cfgs[name], optim_wrapper[name], *args, where=f"param_scheduler.{name}"
            )
            for name in names
            if name in cfgs
        }
    return {
        name: _build_list(_fresh_copy(cfgs), optim_wrapper[name], *args, where="param_scheduler")
        for name in names
    }


def _fresh_copy(cfgs: Any) -> Any:
    """Configs are reused per wrapper; bound scheduler objects cannot be."""
    items = cfgs if isinstance(cfgs, Sequence) and not isinstance(cfgs, (str, Mapping)) else [cfgs]
    for item in items:
        if isinstance(item, _ParamScheduler) and item.is_bound:
            raise BuildError(
                "A scheduler object already bound to one optimizer cannot be shared by every "
                "wrapper of an OptimWrapperDict; give configs, or a dict keyed by wrapper name."
            )
    return cfgs


__all__ = ["INF", "build_param_schedulers", "check_scheduler_numbers", "scheduler_span_problem"]
