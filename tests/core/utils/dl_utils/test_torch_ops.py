"""TORCH_VERSION, torch_meshgrid and is_jit_tracing, as mmengine.utils.dl_utils's."""

from __future__ import annotations

import warnings

import torch

from runner_core.utils.dl_utils import TORCH_VERSION, is_jit_tracing, torch_meshgrid


def test_torch_version_is_torchs() -> None:
    assert TORCH_VERSION == torch.__version__


def test_meshgrid_uses_ij_indexing_without_a_warning() -> None:
    x, y = torch.arange(3), torch.arange(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grid_x, grid_y = torch_meshgrid(x, y)
    assert grid_x.shape == (3, 2) and grid_x[:, 0].tolist() == [0, 1, 2]
    assert grid_y[0].tolist() == [0, 1]


def test_is_jit_tracing_only_while_tracing() -> None:
    seen: list[bool] = []

    def fn(t: torch.Tensor) -> torch.Tensor:
        seen.append(is_jit_tracing())
        return t + 1

    assert not is_jit_tracing()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.trace(fn, torch.zeros(1), check_trace=False)
    assert seen == [True]
