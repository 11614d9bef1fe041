"""BaseModel: MMEngine's names that loops written for it call."""

from __future__ import annotations

from typing import Any

import torch

from runner_core.model import BaseModel


class Echo(BaseModel):
    def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
        return (inputs, data_samples, mode)


def test_run_forward_unpacks_data_as_mmengine() -> None:
    model, x = Echo(), torch.ones(2)
    assert model._run_forward({"inputs": x, "data_samples": [1]}, mode="predict") == (
        x,
        [1],
        "predict",
    )
    assert model._run_forward((x, [2]), mode="loss") == (x, [2], "loss")
    assert model._run_forward([x], mode="tensor") == (x, None, "tensor")
    assert model._run_forward(x, mode="predict") == (x, None, "predict")
