"""``auto_scale_lr``: the learning rate scaled by the real batch size over ``base_batch_size``.

MMEngine's rule: ``lr * (batch_size * world_size) / base_batch_size``, with
``batch_size`` the one the train dataloader's config gives (a loader built
with a ``batch_sampler``, mmdet's ``AspectRatioBatchSampler``, has
``batch_size=None`` itself). :mod:`.arg_checks` checks ``base_batch_size``
when the Runner is built, so a mistake fails before any data is loaded.

:func:`scale_lr` is ``Runner.scale_lr``: ``train()`` calls it once the
optimizer is built, and MMEngine code may call it before ``train()``. A
wrapper is scaled once: ``train()`` (or a second call) leaves a scaled one
alone, where MMEngine scales it again.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from typing import Any, TypeGuard

from ..errors import ConfigAssertionError, ConfigError, ConfigTypeError, RunnerError

__all__ = ["base_batch_size", "per_process_batch_size", "scale_lr", "train_batch_size"]

EXAMPLE = "auto_scale_lr=dict(enable=True, base_batch_size=256)"


class ZeroBaseBatchSizeError(ConfigError, ZeroDivisionError):
    """``base_batch_size=0``: MMEngine divides by it (a ZeroDivisionError)."""


class OptimWrapperNotBuiltError(RunnerError, AssertionError):
    """``scale_lr`` given an optimizer config, not the built wrapper (MMEngine asserts)."""


class SchedulersBuiltError(RunnerError):
    """``scale_lr`` after the schedulers were built: they keep the lr they started from
    (a RuntimeError, as MMEngine's)."""


def base_batch_size(scale: Mapping[str, Any]) -> float:
    """``auto_scale_lr.base_batch_size`` as a number > 0 (a numeric string too, as MMEngine's
    ``float()`` reads it); a ConfigError naming the key otherwise."""
    if scale.get("base_batch_size") is None:  # MMEngine asserts the key is there
        raise ConfigAssertionError(
            "auto_scale_lr is enabled but has no base_batch_size (the total batch size the "
            f"learning rate was tuned for): add e.g. {EXAMPLE}."
        )
    value = scale["base_batch_size"]
    where = f"auto_scale_lr.base_batch_size={value!r} is not valid"
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
        raise ConfigTypeError(f"{where}: give the total batch size, e.g. {EXAMPLE}.")
    try:
        number = float(value)
    except ValueError:  # MMEngine's float() raises the same
        raise ConfigError(f"{where}: give the total batch size, e.g. {EXAMPLE}.") from None
    if number == 0:
        raise ZeroBaseBatchSizeError(
            f"{where}: the learning rate is scaled by (batch size / base_batch_size), so it "
            f"cannot be 0. Give the total batch size the learning rate was tuned for, e.g. "
            f"{EXAMPLE}, or set enable=False."
        )
    if not number > 0:  # negative or NaN
        raise ConfigError(
            f"{where}: it must be a batch size > 0, the total batch size the learning rate "
            f"was tuned for, e.g. {EXAMPLE}."
        )
    return number


def train_batch_size(configured: Any, loader: Any) -> int:
    """The batch size per process ``auto_scale_lr`` scales by.

    ``configured``: ``train_dataloader.batch_size`` of a config (None when the
    loader was given built); else the loader's ``batch_size``, else its
    ``batch_sampler``'s.
    """
    for found in (
        configured,
        getattr(loader, "batch_size", None),
        getattr(getattr(loader, "batch_sampler", None), "batch_size", None),
    ):
        if _is_positive_int(found):
            return int(found)
    sampler = getattr(loader, "batch_sampler", None)
    raise ConfigError(
        "auto_scale_lr needs the batch size per process to scale the learning rate, but "
        f"train_dataloader has none: its {type(loader).__name__} has batch_size "
        f"{getattr(loader, 'batch_size', None)!r}"
        + (
            f" and its batch_sampler ({type(sampler).__name__}) has no batch_size"
            if sampler
            else ""
        )
        + ". Set train_dataloader.batch_size in the config, give the batch sampler a "
        "batch_size attribute, or set auto_scale_lr.enable=False."
    )


def _is_positive_int(value: Any) -> TypeGuard[numbers.Integral]:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) > 0


def _has_built(schedulers: Any) -> bool:
    """Whether ``schedulers`` (None, a config, a list or a dict of lists) holds a built one."""
    if schedulers is None:
        return False
    if isinstance(schedulers, Mapping):
        return "type" not in schedulers and any(_has_built(s) for s in schedulers.values())
    if isinstance(schedulers, (list, tuple)):
        return any(_has_built(s) for s in schedulers)
    return True


def scale_lr(
    optim_wrapper: Any,
    auto_scale_lr: Mapping[str, Any] | None,
    *,
    scaled: list[Any],
    batch_size: Callable[[], int],
    world_size: int,
    schedulers: Any,
    logger: Any,
) -> None:
    """Multiply every param group's lr by (batch size x world size) / ``base_batch_size``.

    Nothing without ``auto_scale_lr.enable``. ``optim_wrapper`` must be built and
    the ``schedulers`` not yet (they start from the lr they find). A wrapper in
    ``scaled`` is left alone, and one scaled here is added to it, so calling it
    before ``train()`` does not scale twice. ``batch_size()`` gives the batch
    size per process (asked only when scaling: it may build the train loader).
    """
    if auto_scale_lr is None:
        return
    if not isinstance(auto_scale_lr, Mapping):
        raise ConfigTypeError(
            f"auto_scale_lr={auto_scale_lr!r} is not valid: give a dict, e.g. {EXAMPLE}."
        )
    if not auto_scale_lr.get("enable", False):
        return
    from ..optim import OptimWrapper, OptimWrapperDict

    if not isinstance(optim_wrapper, OptimWrapper):
        raise OptimWrapperNotBuiltError(
            f"scale_lr needs the built optim wrapper, got {type(optim_wrapper).__name__}: "
            "build it first with runner.optim_wrapper = "
            "runner.build_optim_wrapper(runner.optim_wrapper)."
        )
    if any(done is optim_wrapper for done in scaled):
        logger.info("auto_scale_lr: the lr of this optim wrapper is already scaled.")
        return
    if _has_built(schedulers):
        raise SchedulersBuiltError(
            "scale_lr must be called before the parameter schedulers are built: each keeps "
            "the lr it started from. Call it right after build_optim_wrapper (train() does)."
        )
    base = base_batch_size(auto_scale_lr)
    real = batch_size() * world_size  # may build the train loader: only once it is needed
    factor = real / base
    wrappers = (
        optim_wrapper.values() if isinstance(optim_wrapper, OptimWrapperDict) else [optim_wrapper]
    )
    for each in wrappers:
        for group in each.param_groups:
            group["lr"] = group["lr"] * factor
    scaled.append(optim_wrapper)
    logger.info(
        "auto_scale_lr: lr scaled by %.4g (batch size %d over base_batch_size %g)",
        factor,
        real,
        base,
    )


def per_process_batch_size(configured: Any, loader: Callable[[], Any]) -> int:
    """:func:`train_batch_size`, building the loader (``loader()``) only when
    ``configured`` is not a batch size."""
    if _is_positive_int(configured):
        return int(configured)
    return train_batch_size(configured, loader())
