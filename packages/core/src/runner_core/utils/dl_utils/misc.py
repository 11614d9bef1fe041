"""Layer checks and image conversion OpenMMLab model code imports from ``dl_utils``.

``is_norm`` / ``has_batch_norm`` decide weight decay and SyncBN handling;
``tensor2imgs`` turns a normalised batch back into images to look at.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from ...errors import RunnerError
from ..misc import is_tuple_of

if TYPE_CHECKING:
    import numpy as np

__all__ = ["ImageTensorError", "has_batch_norm", "is_norm", "mmcv_full_available", "tensor2imgs"]

#: What counts as a normalisation layer (MMEngine's list): ``is_norm``, and the layers
#: ``paramwise_cfg``'s ``norm_decay_mult`` applies to. ``_BatchNorm`` covers SyncBatchNorm;
#: ``nn.RMSNorm`` is not one (as in MMEngine).
NORM_TYPES: tuple[type[nn.Module], ...] = (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm)


class ImageTensorError(RunnerError, ValueError, AssertionError):
    """``tensor2imgs`` got a tensor or statistics of the wrong shape (MMEngine asserts)."""


def is_norm(layer: nn.Module, exclude: type | tuple[type, ...] | None = None) -> bool:
    """Whether ``layer`` is a BatchNorm, SyncBatchNorm, InstanceNorm, GroupNorm or LayerNorm.

    Layers of the ``exclude`` type(s) count as not normalisation layers.
    """
    if exclude is not None:
        if not isinstance(exclude, tuple):
            exclude = (exclude,)
        if not is_tuple_of(exclude, type):
            raise TypeError(
                f'is_norm: "exclude" must be either None or type or a tuple of types, but got '
                f"{type(exclude).__name__}: {exclude!r:.80}"
            )
        if isinstance(layer, exclude):
            return False
    return isinstance(layer, NORM_TYPES)


def has_batch_norm(model: nn.Module) -> bool:
    """Whether ``model`` is or contains a BatchNorm layer (SyncBatchNorm included)."""
    return any(isinstance(module, _BatchNorm) for module in model.modules())


def tensor2imgs(
    tensor: torch.Tensor,
    mean: tuple[float, ...] | None = None,
    std: tuple[float, ...] | None = None,
    to_bgr: bool = True,
) -> list[np.ndarray]:
    """An ``(N, C, H, W)`` batch (C = 3 RGB, or 1) as N ``(H, W, C)`` arrays, un-normalised.

    Each image is ``x * std + mean``, converted to BGR when ``to_bgr`` (3
    channels only; a 1-channel batch needs ``to_bgr=False``).
    """
    import numpy as np

    if not torch.is_tensor(tensor) or tensor.ndim != 4:
        raise ImageTensorError(
            "tensor2imgs needs a 4-D (N, C, H, W) tensor, got "
            + (f"shape {tuple(tensor.shape)}" if torch.is_tensor(tensor) else type(tensor).__name__)
            + "."
        )
    channels = tensor.size(1)
    if channels not in (1, 3):
        raise ImageTensorError(
            f"tensor2imgs: images have {channels} channels; it converts 3 (RGB) or 1 (gray)."
        )
    mean = (0.0,) * channels if mean is None else mean
    std = (1.0,) * channels if std is None else std
    if not (len(mean) == len(std) == channels) or (channels == 1 and to_bgr):
        raise ImageTensorError(
            f"tensor2imgs: {channels}-channel images need {channels} mean and std values "
            f"(got {len(mean)} and {len(std)})"
            + (" and to_bgr=False (a gray image has no channel order)." if channels == 1 else ".")
        )
    mean_t = tensor.new_tensor(mean).view(1, -1)
    std_t = tensor.new_tensor(std).view(1, -1)
    imgs = (tensor.permute(0, 2, 3, 1) * std_t + mean_t).detach().cpu().numpy()
    if to_bgr and channels == 3:
        imgs = imgs[:, :, :, (2, 1, 0)]
    return [np.ascontiguousarray(img) for img in imgs]


def mmcv_full_available() -> bool:
    """Whether ``mmcv`` with its compiled ops (``mmcv._ext``) is installed."""
    try:
        return importlib.util.find_spec("mmcv._ext") is not None
    except ImportError:  # mmcv itself missing, or failing to import
        return False
