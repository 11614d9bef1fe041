"""A dynamically quantized model's state holds a dtype and packed params, not only tensors."""

from __future__ import annotations

import warnings

import torch
from torch import nn

from runner_core.checkpoint import load_checkpoint, save_checkpoint


def _quantized() -> nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization's deprecation notice
        return torch.ao.quantization.quantize_dynamic(
            nn.Sequential(nn.Linear(8, 4)), {nn.Linear}, dtype=torch.qint8
        )


def test_a_quantized_model_loads_its_own_checkpoint(tmp_path) -> None:
    torch.manual_seed(0)
    saved, fresh = _quantized(), _quantized()
    x = torch.randn(3, 8)
    assert not torch.equal(saved(x), fresh(x))
    path = tmp_path / "quantized.pth"
    save_checkpoint({"state_dict": saved.state_dict()}, str(path))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TypedStorage deprecation from torch's unpickler
        load_checkpoint(fresh, str(path), map_location="cpu", strict=True)

    assert torch.equal(saved(x), fresh(x))
