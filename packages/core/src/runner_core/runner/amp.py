"""``autocast``: MMEngine's ``mmengine.runner.autocast``, for model code that casts by hand.

``AmpOptimWrapper`` already runs the training forward under autocast; this is
for code of one's own (an inference script, a ``val_step``) that wants the
same cast with the same defaults: the device the run uses, and that device's
autocast dtype (float16 on CUDA, bfloat16 on CPU).
"""

from __future__ import annotations

import warnings
from typing import Any

import torch

from ..errors import BuildAssertionError, did_you_mean
from ..optim.amp_optim_wrapper import _default_autocast_dtype


def _dtype(dtype: Any) -> torch.dtype | None:
    """``dtype`` as a torch dtype: ``'bfloat16'`` and ``'torch.float16'`` too, as
    ``AmpOptimWrapper`` and ``val_cfg`` take them."""
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    if isinstance(dtype, str):
        found = getattr(torch, dtype.removeprefix("torch."), None)
        if isinstance(found, torch.dtype):
            return found
    raise BuildAssertionError(
        f"autocast(dtype={dtype!r}): give a torch.dtype or its name, e.g. torch.bfloat16 or "
        "'float16'." + did_you_mean(str(dtype).removeprefix("torch."), ["float16", "bfloat16"])
    )


def _device_missing(device_type: str) -> bool:
    """Whether torch reports no device of this type here (autocast then changes nothing)."""
    for module in (getattr(torch, device_type, None), getattr(torch.backends, device_type, None)):
        available = getattr(module, "is_available", None)
        if callable(available):
            return not available()
    return False


def autocast(
    device_type: str | None = None,
    dtype: torch.dtype | str | None = None,
    enabled: bool = True,
    cache_enabled: bool | None = None,
) -> torch.autocast:
    """``torch.autocast`` with MMEngine's defaults, as a context manager or a decorator.

    ``device_type=None`` is ``'cuda'`` when CUDA is available, else ``'cpu'``;
    ``dtype=None`` is what ``AmpOptimWrapper`` picks for that device.
    ``enabled=False`` runs the block in full precision. Unlike MMEngine, a
    dtype the device cannot autocast to is left to torch (which warns and
    disables autocast) rather than refused, and a device type with no device
    here (``'mps'`` on Linux) is warned about: the block then runs in full
    precision.
    """
    if device_type is None:
        device_type = "cuda" if torch.cuda.is_available() else "cpu"
    elif enabled and device_type != "cpu" and _device_missing(device_type):
        warnings.warn(
            f"autocast(device_type={device_type!r}): torch sees no {device_type} device here, "
            "so the block runs in full precision.",
            stacklevel=2,
        )
    resolved = _dtype(dtype)
    if resolved is None:
        resolved = _default_autocast_dtype(device_type)
    return torch.autocast(
        device_type=device_type, dtype=resolved, enabled=enabled, cache_enabled=cache_enabled
    )
