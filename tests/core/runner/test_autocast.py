"""``runner_core.runner.autocast``: MMEngine's autocast context manager."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from runner_core.runner import autocast


def test_cpu_defaults_to_bfloat16_and_casts_matmuls() -> None:
    layer = nn.Linear(4, 4)
    x = torch.randn(2, 4)
    with autocast(device_type="cpu"):
        assert torch.is_autocast_enabled("cpu")
        assert torch.get_autocast_dtype("cpu") == torch.bfloat16
        out = layer(x)
    assert out.dtype == torch.bfloat16
    assert not torch.is_autocast_enabled("cpu")
    assert layer(x).dtype == torch.float32


def test_explicit_bfloat16_and_disabled() -> None:
    layer = nn.Linear(4, 4)
    x = torch.randn(2, 4)
    with autocast(device_type="cpu", dtype=torch.bfloat16, cache_enabled=False):
        assert layer(x).dtype == torch.bfloat16
    with autocast(device_type="cpu", enabled=False):
        assert layer(x).dtype == torch.float32


@pytest.mark.skipif(torch.cuda.is_available(), reason="the default device is CUDA here")
def test_default_device_is_cpu_without_cuda() -> None:
    @autocast()
    def forward(x: torch.Tensor) -> torch.Tensor:  # also usable as a decorator
        return nn.functional.linear(x, torch.ones(3, 3))

    assert forward(torch.ones(1, 3)).dtype == torch.bfloat16
