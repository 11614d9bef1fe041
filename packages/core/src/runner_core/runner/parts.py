"""Which parts a train / val / test run needs, and the words for a config lacking them.

The one home of the rule: the Runner checks it when it is built and when
``train()`` starts, ``runner-cli train/val/test`` before building anything,
and ``runner-cli config check`` for every mode, so all of them agree on what
is needed and say it the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError

__all__ = [
    "RUN_PARTS",
    "RunParts",
    "check_incomplete_evaluation",
    "check_orphans",
    "incomplete_message",
    "is_set",
    "missing_message",
    "missing_parts",
    "orphan_parts",
    "orphans_message",
    "unused_top_level_optimizer",
    "with_top_level_optimizer",
]


@dataclass(frozen=True)
class RunParts:
    """The keys one kind of run reads.

    ``companions`` are groups of alternatives (``optim_wrapper`` or
    ``optimizer``) that only make sense with the ``loader``; ``optional`` ones
    among them (an evaluation loop's ``val_cfg``) may be left out.
    """

    loader: str
    companions: tuple[tuple[str, ...], ...]
    optional: tuple[str, ...] = ()

    @property
    def required(self) -> tuple[tuple[str, ...], ...]:
        """The groups a run of this kind cannot do without, the loader first."""
        kept = tuple(g for g in self.companions if g[0] not in self.optional)
        return ((self.loader,), *kept)


RUN_PARTS: dict[str, RunParts] = {
    "train": RunParts("train_dataloader", (("train_cfg",), ("optim_wrapper", "optimizer"))),
    "val": RunParts("val_dataloader", (("val_cfg",), ("val_evaluator",)), optional=("val_cfg",)),
    "test": RunParts(
        "test_dataloader", (("test_cfg",), ("test_evaluator",)), optional=("test_cfg",)
    ),
}

_EXAMPLES = {
    "train_dataloader": "train_dataloader=dict(dataset=dict(type=...), batch_size=32)",
    "train_cfg": "train_cfg=dict(by_epoch=True, max_epochs=10)",
    "optim_wrapper": "optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01))",
    "val_dataloader": "val_dataloader=dict(dataset=dict(type=...), batch_size=32)",
    "val_evaluator": "val_evaluator=dict(type='Accuracy')",
    "test_dataloader": "test_dataloader=dict(dataset=dict(type=...), batch_size=32)",
    "test_evaluator": "test_evaluator=dict(type='Accuracy')",
}


def is_set(value: Any) -> bool:
    """A part counts as given unless it is None or an empty dict.

    An empty list is given: ``val_evaluator=[]`` asks for an evaluation without
    metrics, which MMEngine runs (its triplets only refuse None).
    """
    if value is None:
        return False
    return not (isinstance(value, Mapping) and len(value) == 0)


def _name(group: tuple[str, ...]) -> str:
    return group[0] if len(group) == 1 else f"{group[0]} (or {' or '.join(group[1:])})"


def _are(names: list[str]) -> str:
    return "is" if len(names) == 1 else "are"


def missing_parts(cfg: Mapping[str, Any], mode: str) -> list[str]:
    """The parts a ``mode`` run needs that ``cfg`` lacks (first key of each group)."""
    return [
        group[0]
        for group in RUN_PARTS[mode].required
        if not any(is_set(cfg.get(key)) for key in group)
    ]


def orphan_parts(cfg: Mapping[str, Any], mode: str) -> list[str]:
    """Parts of a ``mode`` run that are set while its dataloader is not."""
    parts = RUN_PARTS[mode]
    if is_set(cfg.get(parts.loader)):
        return []
    return [_name(group) for group in parts.companions if any(is_set(cfg.get(k)) for k in group)]


def orphans_message(mode: str, given: list[str]) -> str:
    """``val_cfg is set but val_dataloader is not: ...`` (see :func:`orphan_parts`)."""
    loader = RUN_PARTS[mode].loader
    listed = " and ".join(given)
    return (
        f"{listed} {_are(given)} set but {loader} is not: {mode} needs data. Add "
        f"{loader}=dict(dataset=..., batch_size=...), or remove {listed}."
    )


def incomplete_message(mode: str, lacking: list[str]) -> str:
    """For a config whose ``mode`` dataloader is set but that still cannot run ``mode``."""
    listed = " and ".join(lacking)
    predict = ""
    if mode == "test" and "test_evaluator" in lacking:  # Lightning's trainer.predict
        predict = (
            " To save the predictions without scoring them, use "
            "test_evaluator=dict(type='DumpResults', out_file_path='preds.pkl')."
        )
    return (
        f"is set, but {listed} {_are(lacking)} not, so the config cannot "
        f"{'validate' if mode == 'val' else mode}. Add "
        f"{listed}, or remove {RUN_PARTS[mode].loader}.{predict}"
    )


def missing_message(
    mode: str,
    missing: list[str],
    where: str = "the config",
    action: str | None = None,
    how: str = "",
) -> str:
    """``<where> cannot <action>: it has no ...``, with an example of each missing part.

    ``how`` follows the examples, e.g. `` (or set them with --cfg-options)``.
    """
    examples = "; ".join(_EXAMPLES.get(key, f"{key}=...") for key in missing)
    needed = [_name(group) for group in RUN_PARTS[mode].required]
    listed = ", ".join(needed[:-1]) + f" and {needed[-1]}" if len(needed) > 1 else needed[0]
    return (
        f"{where} cannot {action or mode}: it has no {' and no '.join(missing)} ({mode} "
        f"needs {listed}). Add {examples}{how}."
    )


def check_orphans(parts: Mapping[str, Any]) -> None:
    """Raise ConfigError for a loop config, optimizer or evaluator given without its data."""
    for mode in RUN_PARTS:
        given = orphan_parts(parts, mode)
        if given:
            raise ConfigError(orphans_message(mode, given))


def check_incomplete_evaluation(parts: Mapping[str, Any]) -> None:
    """Raise ConfigError for validation or test data given without its evaluator.

    MMEngine refuses the same Runner (a ValueError); without the check,
    validation would run and silently report no metrics. A loop given as a
    built object, or whose config carries its own ``evaluator``, is exempt.
    """
    for mode in ("val", "test"):
        run = RUN_PARTS[mode]
        loop = parts.get(f"{mode}_cfg")
        if loop is not None and not isinstance(loop, Mapping):
            continue
        if isinstance(loop, Mapping) and is_set(loop.get("evaluator")):
            continue
        if not is_set(parts.get(run.loader)):
            continue
        lacking = missing_parts(parts, mode)
        if lacking:
            raise ConfigError(f"{run.loader} {incomplete_message(mode, lacking)}")


def with_top_level_optimizer(optim_wrapper: Any, optimizer: Any) -> Any:
    """The optim wrapper config a run builds from the guide's top-level ``optimizer``.

    It is a shortcut for ``optim_wrapper=dict(optimizer=...)``: alone it is wrapped, and
    beside an ``optim_wrapper`` without an optimizer (``dict(clip_grad=...)``) it fills
    that one. An ``optim_wrapper`` naming its own keeps it, as MMEngine's ``from_cfg``
    never reads ``optimizer`` (OpenMMLab configs write ``optimizer = dict(...)`` and then
    ``optim_wrapper = dict(optimizer=optimizer)``); :func:`unused_top_level_optimizer`
    says when that leaves another optimizer unused.
    """
    if optimizer is None:
        return optim_wrapper
    if optim_wrapper is None:
        return {"optimizer": optimizer}
    if isinstance(optim_wrapper, Mapping) and not _gives_optimizer(optim_wrapper):
        return {**optim_wrapper, "optimizer": optimizer}
    return optim_wrapper


def unused_top_level_optimizer(optim_wrapper: Any, optimizer: Any) -> str | None:
    """The warning for a top-level ``optimizer`` the run does not use: ``optim_wrapper``
    names another one (a child config changing ``optimizer`` over a base's
    ``optim_wrapper=dict(optimizer=optimizer)`` changed nothing, unsaid, in MMEngine)."""
    if optimizer is None or with_top_level_optimizer(optim_wrapper, optimizer) is not optim_wrapper:
        return None
    from ..checkpoint.plain_data import same_data  # imports torch: only when asked

    own = optim_wrapper.get("optimizer") if isinstance(optim_wrapper, Mapping) else None
    if own is not None and (own is optimizer or same_data(own, optimizer)):
        return None  # the same optimizer, written twice
    given = _short(own)
    wrapper = f"optim_wrapper.optimizer={given}" if given else "optim_wrapper"
    return (
        f"optimizer={_short(optimizer)} is not used: {wrapper} gives the optimizer, and it "
        "is the one a run builds (as in MMEngine; the top-level optimizer is a shortcut for "
        "optim_wrapper=dict(optimizer=...) when optim_wrapper names none). Change the "
        "optimizer inside optim_wrapper (optim_wrapper = dict(optimizer=dict(lr=0.1)) "
        "changes one value over a _base_), or remove the top-level optimizer."
    )


def _gives_optimizer(optim_wrapper: Mapping[str, Any]) -> bool:
    """Whether an optim wrapper config names its optimizer(s): its own, or one per part
    (``generator=dict(optimizer=...)``)."""
    from torch.optim import Optimizer

    if optim_wrapper.get("optimizer") is not None:
        return True
    return any(
        isinstance(part, Optimizer)
        or (isinstance(part, Mapping) and part.get("optimizer") is not None)
        or (not isinstance(part, Mapping) and hasattr(part, "optimizer"))  # a built wrapper
        for part in optim_wrapper.values()
    )


def _short(value: Any) -> str:
    """``dict(type='SGD', ...)`` or ``SGD(...)``: an optimizer named in one line."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        kind = value.get("type")
        name = kind if isinstance(kind, str) else getattr(kind, "__name__", kind)
        return f"dict(type={name!r}, ...)" if name is not None else "dict(...)"
    return f"{type(value).__name__}(...)"
