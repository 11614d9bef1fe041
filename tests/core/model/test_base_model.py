"""BaseModel: MMEngine's names that loops written for it call."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch
import torch.nn.functional as F

from runner_core.errors import RunnerError
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


# -- ModuleAdapter's default loss: cross-entropy, refused where it cannot train ------------------
def _sgd(module: torch.nn.Module) -> Any:
    from runner_core.optim import OptimWrapper

    return OptimWrapper(torch.optim.SGD(module.parameters(), lr=0.1))


def test_a_one_column_output_with_the_default_loss_is_refused_at_the_first_step() -> None:
    from runner_core.model import ModuleAdapter

    torch.manual_seed(0)
    adapter = ModuleAdapter(torch.nn.Linear(4, 1))  # regression: cross-entropy would be 0
    before = adapter.module.weight.detach().clone()
    batch = (torch.randn(8, 4), torch.randn(8, 1))
    with pytest.raises(AssertionError, match="one output column") as info:
        adapter.train_step(batch, _sgd(adapter))
    assert isinstance(info.value, RunnerError)
    assert "Linear" in str(info.value) and "loss_fn=torch.nn.functional.mse_loss" in str(info.value)
    assert torch.equal(adapter.module.weight, before)  # nothing was stepped
    with pytest.raises(AssertionError, match="one output column"):  # forward(mode='loss') too
        adapter(batch[0], batch[1], mode="loss")


def test_the_default_loss_is_cross_entropy_itself_after_its_first_call() -> None:
    from runner_core.model import ModuleAdapter

    torch.manual_seed(0)
    adapter = ModuleAdapter(torch.nn.Linear(4, 3))
    twin = copy.deepcopy(adapter)
    x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
    expected = F.cross_entropy(adapter.module(x), y)
    out = adapter.train_step((x, y), _sgd(adapter))
    assert torch.equal(out["loss"], expected.detach())
    assert adapter.loss_fn is F.cross_entropy  # later steps call it directly
    # a copy made before the first step checks its own first step and swaps its own loss_fn
    assert twin.loss_fn is not F.cross_entropy
    assert torch.equal(twin(x, y, mode="loss")["loss"], expected)
    assert twin.loss_fn is F.cross_entropy


def test_a_one_column_output_trains_with_the_loss_fn_given() -> None:
    from runner_core.model import ModuleAdapter

    torch.manual_seed(0)
    adapter = ModuleAdapter(torch.nn.Linear(4, 1), loss_fn=F.mse_loss)
    x = torch.randn(32, 4)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
    wrapper = _sgd(adapter)
    losses = [float(adapter.train_step((x, y), wrapper)["loss"]) for _ in range(20)]
    assert losses[-1] < losses[0] / 2
