"""Hints for a training step's common errors: only where the cause is known."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from runner_core.model import BaseModel
from runner_core.model.step_hints import train_step_hint
from runner_core.optim import OptimWrapper


class LightningForward(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Linear(4, 1)

    def forward(self, x: Any) -> Any:  # Lightning's signature: no batch keys, no mode
        return self.net(x)


class BadInside(LightningForward):
    def forward(self, inputs: Any, target: Any = None, mode: str = "tensor") -> Any:
        return {"loss": torch.nn.functional.mse_loss(self.net(inputs), target, bogus=1)}


def _error(model: BaseModel, data: Any) -> BaseException:
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(Exception) as info:
        model.train_step(data, wrapper)
    return info.value


def test_a_forward_refusing_the_batch_keys_gets_how_base_model_calls_it() -> None:
    model = LightningForward()
    exc = _error(model, {"inputs": torch.randn(2, 4), "target": torch.randn(2, 1)})
    assert type(exc) is TypeError and "unexpected keyword argument 'inputs'" in str(exc)
    hint = train_step_hint(exc, model)
    assert hint is not None
    assert "forward(**data, mode='loss')" in hint
    assert "forward(inputs=..., target=..., mode='loss')" in hint
    tuple_hint = train_step_hint(_error(model, (torch.randn(2, 4), torch.randn(2, 1))), model)
    assert tuple_hint is not None and "the batch's 2 items as positional arguments" in tuple_hint


def test_a_type_error_raised_inside_forward_gets_no_hint() -> None:
    model = BadInside()
    exc = _error(model, {"inputs": torch.randn(2, 4), "target": torch.randn(2, 1)})
    assert isinstance(exc, TypeError) and "argument" in str(exc)
    assert train_step_hint(exc, model) is None


def test_a_loss_without_gradient_is_explained_by_what_is_frozen() -> None:
    model = BadInside()
    model.forward = lambda inputs, target=None, mode="tensor": {  # type: ignore[method-assign]
        "loss": ((model.net(inputs) - target) ** 2).mean()
    }
    for p in model.parameters():
        p.requires_grad_(False)
    exc = _error(model, {"inputs": torch.randn(2, 4), "target": torch.randn(2, 1)})
    assert type(exc) is RuntimeError
    assert "No parameter of BadInside requires grad (all 2" in str(train_step_hint(exc, model))
    model.net.bias.requires_grad_(True)
    model.forward = lambda inputs, target=None, mode="tensor": {  # type: ignore[method-assign]
        "loss": ((model.net(inputs) - target) ** 2).mean().detach()
    }
    exc = _error(model, {"inputs": torch.randn(2, 4), "target": torch.randn(2, 1)})
    assert "does not depend on any parameter that requires grad" in str(train_step_hint(exc, model))
