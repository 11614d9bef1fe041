"""``convert_sync_batchnorm`` / ``revert_sync_batchnorm``: MMEngine's names for BN <-> SyncBN.

A model trained with ``SyncBatchNorm`` (several GPUs) is reverted to plain
batch norm to run in one process (tests, export, CPU); one written with
plain batch norm is converted for synchronised statistics across ranks.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


class _BatchNormXd(_BatchNorm):
    """Batch norm for inputs of any rank: what a ``SyncBatchNorm`` turns back into."""

    def _check_input_dim(self, input: torch.Tensor) -> None:  # noqa: A002 - torch's name
        return None


def convert_sync_batchnorm(module: nn.Module, process_group: Any = None) -> nn.Module:
    """Every batch norm layer of ``module`` as ``SyncBatchNorm`` (torch's conversion)."""
    return nn.SyncBatchNorm.convert_sync_batchnorm(module, process_group)


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
    for name, child in module.named_children():
        result.add_module(name, revert_sync_batchnorm(child))
    return result
