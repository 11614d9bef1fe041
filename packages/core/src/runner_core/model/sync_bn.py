"""``convert_sync_batchnorm`` / ``revert_sync_batchnorm``: MMEngine's names for BN <-> SyncBN.

A model trained with ``SyncBatchNorm`` (several GPUs) is reverted to plain
batch norm to run in one process (tests, export, CPU); one written with
plain batch norm is converted for synchronised statistics across ranks;
the config's top-level ``sync_bn='torch'`` does that in a distributed run
(``Runner.wrap_model``), as in MMEngine.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ..errors import ConfigError
from ..utils.dl_utils.misc import has_batch_norm


class _BatchNormXd(_BatchNorm):
    """Batch norm for inputs of any rank: what a ``SyncBatchNorm`` turns back into."""

    def _check_input_dim(self, input: torch.Tensor) -> None:  # noqa: A002 - torch's name
        return None


#: The ``sync_bn`` values a config may give (MMEngine's ``'mmcv'`` needs mmcv's own layer).
SYNC_BN_VALUES = ("torch",)
#: Devices torch's ``SyncBatchNorm`` synchronises (its forward refuses others, CPU included).
_SYNC_DEVICES = ("cuda", "xpu", "hpu")


def convert_sync_batchnorm(module: nn.Module, implementation: str = "torch") -> nn.Module:
    """Every batch norm layer of ``module`` as ``SyncBatchNorm`` (MMEngine's signature).

    ``implementation='torch'`` is torch's ``SyncBatchNorm``; MMEngine's
    ``'mmcv'`` (mmcv's own layer) is not available.
    """
    _check_implementation(implementation, "implementation")
    return nn.SyncBatchNorm.convert_sync_batchnorm(module)


def sync_bn_for_run(model: nn.Module, sync_bn: Any, device: Any, distributed: bool) -> nn.Module:
    """The model with the config's ``sync_bn`` applied, before the DDP wrapper (as MMEngine).

    Only a distributed run converts (one process has nothing to synchronise);
    a value that is neither None nor ``'torch'`` is refused in every run, so a
    typo shows before the job reaches the cluster (``'mmcv'`` only where it
    would be used: MMEngine ignores it in one process too).
    """
    if sync_bn is None or (sync_bn == "mmcv" and not distributed):
        return model
    _check_implementation(sync_bn, "sync_bn")
    if not distributed or not has_batch_norm(model):
        return model
    kind = torch.device(device).type if device is not None else "cpu"
    if kind not in (*_SYNC_DEVICES, torch._C._get_privateuse1_backend_name()):
        raise ConfigError(
            f"sync_bn={sync_bn!r}: torch's SyncBatchNorm synchronises batch statistics only "
            f"between GPU (CUDA/XPU) ranks, and this distributed run is on {kind}, where its "
            f"forward pass fails. Remove sync_bn from the config for a {kind} run (each rank "
            f"then keeps its own BatchNorm statistics)."
        )
    return convert_sync_batchnorm(model, sync_bn)


def _check_implementation(value: Any, key: str) -> None:
    if value in SYNC_BN_VALUES:
        return
    hint = (
        " mmcv's SyncBatchNorm is not available here; torch's does the same job."
        if value == "mmcv"
        else ""
    )
    raise ConfigError(
        f"{key} must be 'torch' (torch.nn.SyncBatchNorm), got {value!r}.{hint} Write "
        f"{key}='torch', or leave it out to keep plain BatchNorm."
    )


def revert_sync_batchnorm(module: nn.Module) -> nn.Module:
    """Every ``SyncBatchNorm`` of ``module`` as a plain batch norm with the same state."""
    result = module
    if isinstance(module, nn.SyncBatchNorm):
        result = _BatchNormXd(
            module.num_features,
            module.eps,
            module.momentum,
            module.affine,
            module.track_running_stats,
        )
        if module.affine:
            with torch.no_grad():
                result.weight = module.weight
                result.bias = module.bias
        result.running_mean = module.running_mean
        result.running_var = module.running_var
        result.num_batches_tracked = module.num_batches_tracked
        result.training = module.training
        if hasattr(module, "qconfig"):  # quantisation-aware training's config, as MMEngine keeps
            result.qconfig = module.qconfig
    for name, child in module.named_children():
        converted = revert_sync_batchnorm(child)
        # only a changed child is set again: a module whose add_module refuses names
        # (MMEngine catches that and warns) is left alone where nothing changed
        if converted is not child or result is not module:
            result.add_module(name, converted)
    return result
