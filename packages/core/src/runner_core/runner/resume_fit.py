"""Whether a checkpoint's optimizer and scheduler state fits the run that resumes it.

A resume puts each saved state into the object the config built in its
place. When the config changed since the checkpoint (another optimizer type,
param groups, a resized layer, schedulers added or swapped), torch and
MMEngine either fail with a bare error at the first step (``KeyError:
'step'``) or load a state into an object it was not written for, silently
(a ``LinearLR`` given ``MultiStepLR``'s state). These checks run before the
model, optimizer or schedulers are restored (after the hooks'
``after_load_checkpoint``, which may rewrite the checkpoint), name the
checkpoint and the part at fault, and suggest ``load_from`` (weights only);
the file is only read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: param-group keys that tell optimizer families apart (torch adds flags such as
#: ``foreach`` across versions; those are filled in on load and not compared)
_FAMILY_KEYS = (
    "momentum",
    "dampening",
    "betas",
    "amsgrad",
    "alpha",
    "centered",
    "rho",
    "lr_decay",
    "lambd",
    "etas",
    "step_sizes",
)

#: scheduler state keys that do not tell classes apart: common to all, optional, or
#: spelled differently by MMEngine (``anneal_func`` / ``rule_worse``)
_COMMON_SCHEDULER_KEYS = frozenset(
    {
        "begin",
        "end",
        "by_epoch",
        "last_step",
        "verbose",
        "param_name",
        "base_values",
        "end_follows_run",
        "anneal_func",
        "anneal_strategy",
        "rule_worse",
    }
)

_LOAD_FROM_HINT = (
    "Resume with the config the checkpoint was saved with, or start from its weights with "
    "load_from={path!r} and resume=False (a fresh {part})."
)


def check_optimizer_fits(runner: Any, state: Any, path: str) -> None:
    """Raise a ``CheckpointError`` when the checkpoint's optimizer state cannot go into the
    configured optimizer: other param groups (a ``ValueError`` too, as torch's load raises),
    another optimizer family (a ``KeyError`` too, as its first step raises), or state
    tensors of another shape than their parameters (a resized layer)."""
    import torch

    wrapper = runner.optim_wrapper
    wrappers = getattr(wrapper, "optim_wrappers", None)
    if isinstance(wrappers, Mapping):
        items = [
            (f"optim_wrapper.{name}.optimizer", wrappers[name], part)
            for name, part in state.items()
            if name in wrappers and isinstance(part, Mapping)
        ]
    else:
        items = [("optim_wrapper.optimizer", wrapper, state)]
    names = {id(p): n for n, p in runner.unwrapped_model.named_parameters()}
    for where, owner, saved in items:
        optimizer = getattr(owner, "optimizer", owner)
        if isinstance(optimizer, torch.optim.Optimizer) and isinstance(saved, Mapping):
            _check_one(optimizer, saved, where, names, path)


def _check_one(
    optimizer: Any, saved: Mapping[str, Any], where: str, names: dict[int, str], path: str
) -> None:
    from ..checkpoint import CheckpointError, CheckpointKeyError, CheckpointValueError

    kind = type(optimizer).__name__
    missing = [key for key in ("param_groups", "state") if key not in saved]
    if missing:  # torch's load_state_dict reads both: a bare KeyError('param_groups')
        keys = ", ".join(repr(k) for k in sorted(map(str, saved))) or "none, it is empty"
        raise CheckpointKeyError(
            f"Cannot resume from {path!r}: its 'optimizer' entry (for {where}, {kind}) has "
            f"no {missing[0]!r} (its keys: {keys}), so it is no optimizer state torch can "
            "load (an optimizer's state_dict() holds 'state' and 'param_groups'). Resume "
            f"from a checkpoint the run saved; runner.resume({path!r}, "
            "resume_optimizer=False) resumes the rest with a fresh optimizer, and "
            f"load_from={path!r} with resume=False takes only the weights."
        )
    groups = saved.get("param_groups")
    if not isinstance(groups, list) or not all(isinstance(g, Mapping) for g in groups):
        return  # not a torch optimizer's state: its own load_state_dict judges it
    hint = _LOAD_FROM_HINT.format(path=path, part="optimizer")
    ours = optimizer.param_groups
    if len(groups) != len(ours):
        added = (  # the checkpoint has more: a group added during the run is not here yet
            ", or a hook added a group during the run (optimizer.add_param_group): such a "
            "hook must add it again in its after_load_checkpoint, which runs before the "
            "optimizer is restored"
            if len(groups) > len(ours)
            else ""
        )
        raise CheckpointValueError(
            f"Cannot resume from {path!r}: its optimizer state has {len(groups)} param "
            f"group(s), {where} ({kind}) has {len(ours)}; paramwise_cfg or the model changed "
            f"since it was saved{added}. {hint}"
        )
    for i, (old, new) in enumerate(zip(groups, ours)):
        saved_params = old.get("params", [])
        if len(saved_params) != len(new["params"]):
            raise CheckpointValueError(
                f"Cannot resume from {path!r}: param group {i} of its optimizer state has "
                f"{len(saved_params)} parameter(s), that of {where} ({kind}) has "
                f"{len(new['params'])}; paramwise_cfg or the model changed since it was "
                f"saved. {hint}"
            )
        old_keys, new_keys = _family(old), _family(new)
        if old_keys != new_keys:
            raise CheckpointKeyError(
                f"Cannot resume from {path!r}: its optimizer state was saved by another "
                f"optimizer type than {where} ({kind}): its param groups have "
                f"{old_keys or 'none'} where {kind}'s have {new_keys or 'none'}, a state "
                f"{kind} cannot step with. {hint}"
            )
    per_param = saved.get("state")
    if not isinstance(per_param, Mapping):
        return
    ids = [pid for g in groups for pid in g.get("params", [])]
    params = [p for g in ours for p in g["params"]]
    for pid, param in zip(ids, params):
        entry = per_param.get(pid)
        if not isinstance(entry, Mapping):
            continue
        for key, value in entry.items():
            shape = getattr(value, "shape", None)
            if shape is None or len(shape) == 0 or len(shape) != param.dim():
                continue  # a scalar ('step') or a factored state: not per element
            if tuple(shape) != tuple(param.shape):
                name = names.get(id(param), f"parameter {ids.index(pid)}")
                raise CheckpointError(
                    f"Cannot resume from {path!r}: its optimizer state {key!r} of {name!r} "
                    f"has shape {tuple(shape)}, the parameter has {tuple(param.shape)} (the "
                    f"layer was resized since it was saved); {where} ({kind}) would fail at "
                    f"its first step. {hint}"
                )


def _family(group: Mapping[str, Any]) -> list[str]:
    """The keys of ``group`` that tell its optimizer family, in ``_FAMILY_KEYS`` order.

    An Adam-like group's ``momentum`` is a momentum scheduler's mirror of
    ``betas[0]`` (MomentumSchedulerMixin), not its own: left out.
    """
    keys = [k for k in _FAMILY_KEYS if k in group]
    return [k for k in keys if k != "momentum"] if "betas" in group else keys


def check_schedulers_fit(schedulers: Any, states: Any, saved_types: Any, path: str) -> None:
    """Raise a ``CheckpointError`` when the checkpoint's scheduler states were saved for
    another list of schedulers than the configured one (states go back by position).

    The checkpoint's ``meta.param_scheduler_types`` names the saved classes; without it
    (MMEngine's, older checkpoints) a state's keys tell. The same class with other
    arguments (milestones moved) fits.
    """
    from ..checkpoint import CheckpointError

    configured = _pairs(schedulers)
    saved = _pairs(states)
    types = _pairs(saved_types) if saved_types is not None else {}
    fits = set(configured) == set(saved) and all(
        len(configured[k]) == len(saved[k]) for k in configured
    )
    if fits:
        for key, group in configured.items():
            names = types.get(key)
            if names is not None and len(names) != len(group):
                names = None
            for i, (scheduler, state) in enumerate(zip(group, saved[key])):
                name = names[i] if names is not None else None
                if not _fits(scheduler, state, name):
                    fits = False
    if fits:
        return
    shown_saved = {
        k: [
            types[k][i] if k in types and len(types[k]) == len(v) else _describe(s)
            for i, s in enumerate(v)
        ]
        for k, v in saved.items()
    }
    shown_ours = {k: [type(s).__name__ for s in v] for k, v in configured.items()}
    raise CheckpointError(
        f"Cannot resume from {path!r}: its parameter scheduler states were saved for "
        f"{_show(shown_saved)}, and this run configures {_show(shown_ours)}. States go back "
        "by position, so they would drive schedulers they were not written for. "
        + _LOAD_FROM_HINT.format(path=path, part="optimizer and schedulers")
        + " To keep the checkpoint's optimizer but start the new schedulers afresh, call "
        "runner.resume(path, resume_param_scheduler=False)."
    )


def _pairs(value: Any) -> dict[str, list[Any]]:
    if isinstance(value, Mapping):
        return {str(k): list(v) if isinstance(v, list) else [v] for k, v in value.items()}
    return {"": list(value) if isinstance(value, list) else [value]}


def _show(lists: dict[str, list[str]]) -> str:
    if set(lists) == {""}:
        return "[" + ", ".join(lists[""]) + "]"
    return "{" + ", ".join(f"{k!r}: [{', '.join(v)}]" for k, v in lists.items()) + "}"


def _base_name(name: str) -> str:
    """``MultiStepLR`` / ``MultiStepMomentum`` / ``MultiStepParamScheduler`` -> ``MultiStep``."""
    for suffix in ("ParamScheduler", "Momentum", "LR"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _public_keys(state: Mapping[str, Any]) -> set[str]:
    return {k for k in state if not k.startswith("_") and k not in _COMMON_SCHEDULER_KEYS}


def _fits(scheduler: Any, state: Any, saved_type: str | None) -> bool:
    if not isinstance(state, Mapping):
        return False
    own = scheduler.state_dict() if hasattr(scheduler, "state_dict") else {}
    param = getattr(scheduler, "param_name", None)
    if param is not None and state.get("param_name", param) != param:
        return False
    if saved_type is not None:
        return _base_name(saved_type) == _base_name(type(scheduler).__name__)
    ours, theirs = _public_keys(own), _public_keys(state)
    return not (ours - theirs and theirs - ours)


def _describe(state: Any) -> str:
    """A saved state whose class was not recorded, told by its own keys."""
    if not isinstance(state, Mapping):
        return type(state).__name__
    keys = ", ".join(sorted(_public_keys(state)))
    return f"<{state.get('param_name', '?')} scheduler with {keys or 'no own arguments'}>"
