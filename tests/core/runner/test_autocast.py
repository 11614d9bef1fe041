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


@pytest.mark.parametrize("name", ["bfloat16", "torch.bfloat16"])
def test_a_dtype_may_be_named_as_amp_optim_wrapper_takes_it(name: str) -> None:
    with autocast(device_type="cpu", dtype=name):
        out = torch.nn.Linear(2, 2)(torch.ones(1, 2))
    assert out.dtype == torch.bfloat16


def test_an_unknown_dtype_name_is_refused_with_a_suggestion() -> None:
    with pytest.raises(AssertionError, match="Did you mean one of 'bfloat16'") as err:
        autocast(device_type="cpu", dtype="bfloat61")
    assert isinstance(err.value, TypeError)  # also what torch raises for a str


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="needs a machine without MPS")
def test_a_device_type_with_no_device_here_is_warned_about() -> None:
    with pytest.warns(UserWarning, match="no mps device here"):
        context = autocast(device_type="mps", dtype=torch.float16)
    with context:
        out = torch.nn.Linear(2, 2)(torch.ones(1, 2))
    assert out.dtype == torch.float32
