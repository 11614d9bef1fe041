"""turn_on_efficient_conv_bn_eval: the config's ``efficient_conv_bn_eval`` key.

An eval-mode BatchNorm after a conv is folded into the conv's weights: outputs
and gradients are those of the plain model up to float rounding (compared
with ``torch.testing.assert_close(rtol=1e-5, atol=1e-5)``, float32), and
the conv's output is no longer kept for backward.
"""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from runner_core.errors import ConfigError
from runner_core.model import turn_on_activation_checkpointing, turn_on_efficient_conv_bn_eval


def assert_close(actual: torch.Tensor, expected: torch.Tensor) -> None:
    torch.testing.assert_close(actual, expected, rtol=1e-5, atol=1e-5)


class Block(nn.Module):
    """Pairs as attributes (conv1 -> bn1, conv2 -> bn2) and in a Sequential (down)."""

    def __init__(self, affine: bool = True) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8, affine=affine)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8, affine=affine)
        self.down = nn.Sequential(nn.Conv2d(3, 8, 1, stride=1), nn.BatchNorm2d(8))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.down(x))


class Net(nn.Module):
    def __init__(self, affine: bool = True) -> None:
        super().__init__()
        self.backbone = Block(affine)
        self.head = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x).mean((2, 3)))


def _randomise_bn(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats:
            assert m.running_mean is not None and m.running_var is not None
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
            if m.affine:
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.uniform_(-1, 1)


def _frozen_bn(model: nn.Module) -> nn.Module:
    """Train mode with every BatchNorm in eval mode: fine-tuning with frozen BN."""
    model.train()
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()
    return model


def _pair(affine: bool = True) -> tuple[Net, Net]:
    torch.manual_seed(0)
    plain = Net(affine)
    _randomise_bn(plain)
    return plain, copy.deepcopy(plain)


def _out_and_grads(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, list]:
    out = model(x)
    out.square().sum().backward()
    return out.detach(), [p.grad for p in model.parameters()]


@pytest.mark.parametrize("affine", [True, False])
def test_outputs_and_gradients_equal_the_plain_eval_bn(affine: bool) -> None:
    plain, fused = _pair(affine)
    assert turn_on_efficient_conv_bn_eval(fused, "backbone") == {"backbone": 3}
    x = torch.randn(4, 3, 8, 8)
    out, grads = _out_and_grads(_frozen_bn(plain), x)
    out_f, grads_f = _out_and_grads(_frozen_bn(fused), x)
    assert_close(out_f, out)
    for g, g_f in zip(grads, grads_f):  # conv weights/biases and the BN affine parameters
        assert_close(g_f, g)


def test_the_single_model_form_fuses_the_models_own_pairs_as_mmengines() -> None:
    from runner_core.model.efficient_conv_bn_eval import (
        turn_on_efficient_conv_bn_eval_for_single_model,
    )

    plain, fused = _pair()
    assert turn_on_efficient_conv_bn_eval_for_single_model(fused.backbone) == 3
    x = torch.randn(4, 3, 8, 8)
    out, _ = _out_and_grads(_frozen_bn(plain), x)
    out_f, _ = _out_and_grads(_frozen_bn(fused), x)
    assert_close(out_f, out)


def test_the_conv_output_is_not_kept_for_backward() -> None:
    plain, fused = _pair()
    turn_on_efficient_conv_bn_eval(fused, ["backbone"])
    x = torch.randn(4, 3, 16, 16)

    def saved_elements(model: nn.Module) -> int:
        total = 0

        def pack(t: torch.Tensor) -> torch.Tensor:
            nonlocal total
            total += t.numel()
            return t

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            model(x)
        return total

    # 3 conv outputs of 4x8x16x16 no longer saved for BatchNorm's backward (the folded
    # weights, 8x3x3x3 + 8x8x3x3 + 8x3, are saved in their place)
    saved = saved_elements(_frozen_bn(plain)) - saved_elements(_frozen_bn(fused))
    assert 3 * 8192 - 1024 < saved <= 3 * 8192


def test_batch_norm_in_train_mode_runs_as_before() -> None:
    plain, fused = _pair()
    turn_on_efficient_conv_bn_eval(fused, "backbone")
    x = torch.randn(4, 3, 8, 8)
    assert torch.equal(fused.train()(x), plain.train()(x))  # batch statistics, bitwise
    assert torch.equal(fused.backbone.bn1.weight, plain.backbone.bn1.weight)
    fused_mean, plain_mean = fused.backbone.bn1.running_mean, plain.backbone.bn1.running_mean
    assert fused_mean is not None and plain_mean is not None
    assert torch.equal(fused_mean, plain_mean)  # updated the same way


class Shapes(nn.Module):
    """What is fused and what is not."""

    def __init__(self) -> None:
        super().__init__()
        self.c1, self.b1 = nn.Conv1d(2, 4, 3), nn.BatchNorm1d(4)  # fused
        self.c3, self.b3 = nn.Conv3d(2, 4, 1), nn.BatchNorm3d(4)  # fused
        self.shared, self.bs = nn.Conv2d(2, 4, 1), nn.BatchNorm2d(4)  # output read twice
        self.up, self.bu = nn.ConvTranspose2d(2, 4, 1), nn.BatchNorm2d(4)  # transposed
        self.nostats, self.bn_ns = nn.Conv2d(2, 4, 1), nn.BatchNorm2d(4, track_running_stats=False)

    def forward(self, x1, x2, x3):
        a = self.b1(self.c1(x1)).sum()
        b = self.b3(self.c3(x3)).sum()
        s = self.shared(x2)
        c = (self.bs(s) + s).sum()
        d = self.bu(self.up(x2)).sum()
        e = self.bn_ns(self.nostats(x2)).sum()  # eval mode, no running stats: batch statistics
        return a + b + c + d + e


def test_which_pairs_are_fused_and_results_stay_equal() -> None:
    torch.manual_seed(0)
    plain = Shapes()
    _randomise_bn(plain)
    fused = copy.deepcopy(plain)
    # Conv1d->BN1d, Conv3d->BN3d and the BN without running statistics (folded only when it
    # has them); not the conv whose output is read twice, not the transposed conv
    assert turn_on_efficient_conv_bn_eval(fused, "") == {"": 3}
    args = (torch.randn(2, 2, 5), torch.randn(2, 2, 4, 4), torch.randn(2, 2, 3, 3, 3))
    assert_close(_frozen_bn(fused)(*args), _frozen_bn(plain)(*args))


class TrainingDependent(nn.Module):
    """A forward that reads ``self.training`` outside a layer."""

    def __init__(self) -> None:
        super().__init__()
        self.conv, self.bn = nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.dropout(self.bn(self.conv(x)), 0.5, self.training)


def test_a_forward_reading_self_training_keeps_both_behaviours() -> None:
    # MMEngine's traced graph keeps the mode it was traced in: dropout at eval time too
    torch.manual_seed(0)
    plain = TrainingDependent()
    fused = copy.deepcopy(plain)
    turn_on_efficient_conv_bn_eval(fused, [""])
    x = torch.randn(2, 3, 4, 4)
    assert_close(fused.eval()(x), plain.eval()(x))
    torch.manual_seed(1)
    train_out = fused.train()(x)
    assert (train_out == 0).any()  # dropout in train mode, as before


def test_a_checkpointed_sub_module_stays_checkpointed() -> None:
    class Counting(Block):
        calls = 0

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            type(self).calls += 1
            return super().forward(x)

    class Outer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 3, 1), nn.BatchNorm2d(3))
            self.block = Counting()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.block(self.stem(x))

    model = _frozen_bn(Outer())
    turn_on_activation_checkpointing(model, "block")  # the Runner's order: this one first
    assert turn_on_efficient_conv_bn_eval(model, "") == {"": 1}  # the stem; block stays a call
    model(torch.randn(2, 3, 4, 4)).sum().backward()
    assert Counting.calls == 2  # forward, and again in backward


def test_a_module_with_both_stays_checkpointed() -> None:
    class Body(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.pre = nn.Linear(4, 4)
            self.conv, self.bn = nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.bn(self.conv(torch.tanh(self.pre(x)))).square()

    model = nn.Sequential()
    model.add_module("body", Body())
    turn_on_activation_checkpointing(_frozen_bn(model), "body")
    assert turn_on_efficient_conv_bn_eval(model, "body") == {"body": 1}
    calls: list[int] = []
    model.get_submodule("body.pre").register_forward_hook(lambda *_: calls.append(1))
    model(torch.randn(2, 3, 4, 4)).sum().backward()
    assert len(calls) == 2  # the fused graph runs again in backward


def test_turning_it_on_twice_changes_nothing_more() -> None:
    plain, fused = _pair()
    turn_on_efficient_conv_bn_eval(fused, "backbone")
    forward = fused.backbone.forward
    assert turn_on_efficient_conv_bn_eval(fused, "backbone") == {"backbone": 3}
    assert fused.backbone.forward == forward


def test_deep_copies_and_pickles_run_their_own_weights() -> None:
    plain, fused = _pair()
    turn_on_efficient_conv_bn_eval(_frozen_bn(fused), "backbone")
    x = torch.randn(2, 3, 8, 8)
    expected = _frozen_bn(plain)(x)
    for other in (copy.deepcopy(fused), pickle.loads(pickle.dumps(fused))):
        assert_close(other(x), expected)
        conv = other.get_submodule("backbone.conv1")
        assert isinstance(conv, nn.Conv2d)
        with torch.no_grad():
            conv.weight.zero_()  # the copy's own weights
        assert not torch.allclose(other(x), expected)
        assert_close(fused(x), expected)


def test_a_module_without_pairs_keeps_its_forward() -> None:
    model = Net()
    assert turn_on_efficient_conv_bn_eval(model, "head") == {"head": 0}
    assert "forward" not in vars(model.head)


def test_an_untraceable_module_is_named() -> None:
    class Branchy(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv, self.bn = nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if x.sum() > 0:  # control flow on a tensor value
                return self.bn(self.conv(x))
            return x

    model = nn.Sequential()
    model.add_module("body", Branchy())
    with pytest.raises(ConfigError) as info:
        turn_on_efficient_conv_bn_eval(model, "body")
    message = str(info.value)
    assert "efficient_conv_bn_eval: torch.fx cannot trace 'body' (Branchy): TraceError" in message
    assert "efficient_conv_bn_eval=['backbone']" in message


def test_unknown_name_is_named_with_suggestions() -> None:
    with pytest.raises(
        AttributeError,
        match=r"efficient_conv_bn_eval names 'backbone.conv3', which is not a sub-module of "
        r"Net. Did you mean one of 'backbone.conv2', 'backbone.conv1'",
    ):
        turn_on_efficient_conv_bn_eval(Net(), "backbone.conv3")
