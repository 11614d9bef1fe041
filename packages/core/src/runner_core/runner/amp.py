"""``autocast``: MMEngine's ``mmengine.runner.autocast``, for model code that casts by hand.

``AmpOptimWrapper`` already runs the training forward under autocast; this is
for code of one's own (an inference script, a ``val_step``) that wants the
same cast with the same defaults: the device the run uses, and that device's
autocast dtype (float16 on CUDA, bfloat16 on CPU).
"""

from __future__ import annotations

import torch

from ..optim.amp_optim_wrapper import _default_autocast_dtype


def autocast(
    device_type: str | None = None,
    dtype: torch.dtype | None = None,
    enabled: bool = True,
    cache_enabled: bool | None = None,
) -> torch.autocast:
    """``torch.autocast`` with MMEngine's defaults, as a context manager or a decorator.

    ``device_type=None`` is ``'cuda'`` when CUDA is available, else ``'cpu'``;
    ``dtype=None`` is what ``AmpOptimWrapper`` picks for that device.
    ``enabled=False`` runs the block in full precision. Unlike MMEngine, a
    dtype the device cannot autocast to is left to torch (which warns and
    disables autocast) rather than refused.
    """
    if device_type is None:
        device_type = "cuda" if torch.cuda.is_available() else "cpu"
    if dtype is None:
        dtype = _default_autocast_dtype(device_type)
    return torch.autocast(
        device_type=device_type, dtype=dtype, enabled=enabled, cache_enabled=cache_enabled
    )
