"""turn_on_activation_checkpointing: the config's ``activation_checkpointing`` key.

Losses and gradients are bitwise those of the plain model (the recomputed
forward is the same computation, dropout's random state included); the named
modules run their forward again in backward.
"""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from runner_core.errors import ConfigError, ConfigTypeError
from runner_core.model import turn_on_activation_checkpointing
from runner_core.model.activation_checkpointing import SubmoduleNotFoundError, is_checkpointed


class Block(nn.Module):
    """Counts its forward calls; takes a keyword argument."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.calls = 0

    def forward(self, x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
        self.calls += 1
        return F.dropout(torch.tanh(self.fc(x)) * scale, 0.3, self.training)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Linear(4, 8)
        self.layers = nn.ModuleList([Block(), Block()])
        self.head = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for layer in self.layers:
            x = layer(x, scale=2.0)
        return self.head(x)


def _net() -> Net:
    torch.manual_seed(0)
    return Net()


def _loss_and_grads(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    torch.manual_seed(3)  # the dropout masks
    loss = model(x).square().mean()
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None for g in grads)
    return loss.detach(), grads  # type: ignore[return-value]


def test_losses_and_gradients_are_bitwise_the_plain_ones() -> None:
    x = torch.randn(16, 4)
    plain, checkpointed = _net(), _net()
    turn_on_activation_checkpointing(checkpointed, ["layers.0", "layers.1"])
    loss, grads = _loss_and_grads(plain, x)
    loss_ck, grads_ck = _loss_and_grads(checkpointed, x)
    assert torch.equal(loss, loss_ck)
    assert all(torch.equal(a, b) for a, b in zip(grads, grads_ck))


def test_a_module_whose_input_needs_no_gradient_still_gets_its_gradients() -> None:
    # the first layer sees the data only; MMEngine's reentrant checkpoint leaves its grads None
    plain, checkpointed = _net(), _net()
    turn_on_activation_checkpointing(checkpointed, "stem")
    x = torch.randn(16, 4)
    _, grads = _loss_and_grads(plain, x)
    _, grads_ck = _loss_and_grads(checkpointed, x)
    assert checkpointed.stem.weight.grad is not None
    assert all(torch.equal(a, b) for a, b in zip(grads, grads_ck))


def test_the_named_module_recomputes_its_forward_in_backward() -> None:
    model = _net()
    turn_on_activation_checkpointing(model, "layers.1")  # one name, as a string
    loss = model(torch.randn(2, 4)).sum()
    assert [b.calls for b in model.layers] == [1, 1]
    loss.backward()
    assert [b.calls for b in model.layers] == [1, 2]  # layers.1 ran again for its activations


def test_without_gradients_the_plain_forward_runs_once() -> None:
    model = _net()
    turn_on_activation_checkpointing(model, "layers.0")
    with torch.no_grad():
        model(torch.randn(2, 4))
    assert model.layers[0].calls == 1


def test_turning_it_on_twice_checkpoints_once() -> None:
    model = _net()
    turn_on_activation_checkpointing(model, ["layers.0"])
    turn_on_activation_checkpointing(model, ["layers.0"])  # a second runner.train()
    model(torch.randn(2, 4)).sum().backward()
    assert model.layers[0].calls == 2


def test_a_deep_copy_runs_its_own_weights() -> None:
    model = _net()
    turn_on_activation_checkpointing(model, "layers.0")
    copied = copy.deepcopy(model)  # what an EMA copy does
    fc = copied.layers[0].fc
    assert isinstance(fc, nn.Linear)
    with torch.no_grad():
        fc.weight.zero_()
        fc.bias.zero_()
    model.eval(), copied.eval()
    x = torch.randn(2, 4)
    assert is_checkpointed(copied.layers[0])
    assert not torch.equal(model(x), copied(x))
    assert copied.get_submodule("layers.0").calls == 1 == model.get_submodule("layers.0").calls


def test_a_pickled_model_loads_with_its_checkpointing() -> None:
    model = _net()
    turn_on_activation_checkpointing(model, "layers.0")
    loaded = pickle.loads(pickle.dumps(model))  # torch.save(model) / torch.load of the object
    loaded(torch.randn(2, 4)).sum().backward()
    assert loaded.layers[0].calls == 2
    assert loaded.layers[0].forward.module is loaded.layers[0]


def test_unknown_name_is_named_with_suggestions() -> None:
    model = _net()
    with pytest.raises(SubmoduleNotFoundError) as info:
        turn_on_activation_checkpointing(model, ["layers.0", "layer.1"])
    assert isinstance(info.value, AttributeError)  # what MMEngine's attrgetter raises
    assert isinstance(info.value, ConfigError)
    message = str(info.value)
    assert "activation_checkpointing names 'layer.1', which is not a sub-module of Net." in message
    assert "Did you mean one of 'layers.1'" in message
    assert not is_checkpointed(model.layers[0])  # nothing changed before the error


def test_a_value_that_is_not_names_is_refused() -> None:
    with pytest.raises(ConfigTypeError, match=r"activation_checkpointing must be a sub-module"):
        turn_on_activation_checkpointing(_net(), [0])  # type: ignore[list-item]
