"""``auto_scale_lr``: the learning rate scaled by the real batch size over ``base_batch_size``.

MMEngine's rule: ``lr * (batch_size * world_size) / base_batch_size``, with
``batch_size`` the one the train dataloader's config gives (a loader built
with a ``batch_sampler``, mmdet's ``AspectRatioBatchSampler``, has
``batch_size=None`` itself). :mod:`.arg_checks` checks ``base_batch_size``
when the Runner is built, so a mistake fails before any data is loaded.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigAssertionError, ConfigError, ConfigTypeError

__all__ = ["base_batch_size", "train_batch_size"]

EXAMPLE = "auto_scale_lr=dict(enable=True, base_batch_size=256)"


class ZeroBaseBatchSizeError(ConfigError, ZeroDivisionError):
    """``base_batch_size=0``: MMEngine divides by it (a ZeroDivisionError)."""


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
        if isinstance(found, numbers.Integral) and not isinstance(found, bool) and int(found) > 0:
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
