"""convert_sync_batchnorm / revert_sync_batchnorm: BN <-> SyncBN with the state kept."""

from __future__ import annotations

import torch
from torch import nn


def test_sync_batchnorm_is_converted_and_reverted_with_its_state() -> None:
    from runner_core.model import convert_sync_batchnorm, is_model_wrapper, revert_sync_batchnorm

    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
    model[1].running_mean.fill_(0.5)
    synced = convert_sync_batchnorm(model)
    assert isinstance(synced[1], nn.SyncBatchNorm)
    plain = revert_sync_batchnorm(synced)
    assert not any(isinstance(m, nn.SyncBatchNorm) for m in plain.modules())
    assert plain[1].running_mean.tolist() == [0.5] * 4
    plain.eval()
    assert plain(torch.ones(2, 3, 5, 5)).shape == (2, 4, 5, 5)  # runs in one process
    assert not is_model_wrapper(plain)
