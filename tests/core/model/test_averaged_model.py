"""Averaged models: importable from runner_core.model and built from MODELS, as MMEngine's."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from runner_core.model import (
    BaseAveragedModel,
    ExponentialMovingAverage,
    MomentumAnnealingEMA,
    StochasticWeightAverage,
)
from runner_core.registry import MODELS


def _linear(value: float) -> nn.Linear:
    linear = nn.Linear(1, 1)
    nn.init.constant_(linear.weight, value)
    nn.init.constant_(linear.bias, value)
    return linear


def test_the_averaged_models_are_runner_cores_and_in_models() -> None:
    for cls in (ExponentialMovingAverage, MomentumAnnealingEMA, StochasticWeightAverage):
        assert issubclass(cls, BaseAveragedModel)
        assert MODELS.get(cls.__name__) is cls
        assert [e.distribution for e in MODELS.entry_points(cls.__name__)] == ["runner-core"]
    ema = MODELS.build(dict(type="ExponentialMovingAverage", model=_linear(0.0), momentum=0.5))
    assert isinstance(ema, ExponentialMovingAverage)
    for value in (0.0, 4.0, 8.0):  # the first update copies; then ema += 0.5 * (w - ema)
        ema.update_parameters(_linear(value))
    assert ema.module.weight.item() == 5.0 and int(ema.steps) == 3
    assert ema(torch.ones(1, 1)).item() == 10.0  # forward is the averaged module's


def test_device_keeps_the_average_on_that_device() -> None:
    model = _linear(1.0)
    ema = ExponentialMovingAverage(model, momentum=0.5, device="meta")
    assert ema.module.weight.device == torch.device("meta")
    assert ema.steps.device == torch.device("meta")
    assert model.weight.device == torch.device("cpu")  # the model stays where it is
    ema.update_parameters(model)
    ema.update_parameters(_linear(3.0))
    assert ema.module.weight.device == torch.device("meta") and ema._steps == 2


def test_an_mmengine_style_subclass_with_avg_func_averages() -> None:
    class MaxAverage(BaseAveragedModel):  # MMEngine's hook: avg_func, per tensor, in place
        def avg_func(
            self, averaged_param: torch.Tensor, source_param: torch.Tensor, steps: int
        ) -> None:
            averaged_param.copy_(torch.maximum(averaged_param, source_param))

    average = MaxAverage(_linear(2.0))
    for value in (2.0, 5.0, 3.0):
        average.update_parameters(_linear(value))
    assert average.module.weight.item() == 5.0 and average.module.bias.item() == 5.0


def test_positional_arguments_follow_mmengines_signatures() -> None:
    swa = StochasticWeightAverage(_linear(0.0), 2, None, True)  # interval, device, update_buffers
    assert (swa.interval, swa.device, swa.update_buffers) == (2, None, True)
    assert StochasticWeightAverage(_linear(0.0), 3).interval == 3
    assert StochasticWeightAverage(_linear(0.0), momentum=0.1).interval == 1  # EMAHook passes it
    anneal = MomentumAnnealingEMA(_linear(0.0), 0.01, 10, 2, None, True)
    assert (anneal.momentum, anneal.gamma, anneal.interval) == (0.01, 10, 2)
    assert anneal.update_buffers is True
    with pytest.raises(TypeError):
        StochasticWeightAverage(_linear(0.0), 1, None, False, 0.5)  # momentum by keyword only


def test_a_bad_momentum_names_the_averaged_model_not_the_hook() -> None:
    with pytest.raises(AssertionError, match=r"^MomentumAnnealingEMA momentum must be in \(0, 1\)"):
        MomentumAnnealingEMA(_linear(0.0), momentum=2)
    with pytest.raises(ValueError, match="^StochasticWeightAverage interval must be") as info:
        StochasticWeightAverage(_linear(0.0), 0)
    assert "EMAHook" not in str(info.value)


def _replace_a_parameter(model: nn.Sequential) -> None:
    model[0].weight = nn.Parameter(torch.full_like(model[0].weight, 7.0))


def _replace_a_submodule(model: nn.Sequential) -> None:
    model[2] = _linear_like(model[2], 3.0)


def _load_by_assignment(model: nn.Sequential) -> None:
    state = {
        k: torch.full_like(v, 2.0) if v.is_floating_point() else v
        for k, v in model.state_dict().items()
    }
    model.load_state_dict(state, assign=True)


def _linear_like(linear: nn.Linear, value: float) -> nn.Linear:
    new = nn.Linear(linear.in_features, linear.out_features)
    nn.init.constant_(new.weight, value)
    nn.init.constant_(new.bias, value)
    return new


@pytest.mark.parametrize(
    "change", [_replace_a_parameter, _replace_a_submodule, _load_by_assignment]
)
def test_an_update_follows_what_was_replaced_in_the_model_since_the_last(change) -> None:
    """Updates reuse what they walked in the models; a tensor or submodule replaced since
    must be averaged from, exactly as a fresh average walking the model now does."""
    import copy

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    ema = ExponentialMovingAverage(model, momentum=0.5, update_buffers=True)
    for _ in range(2):
        ema.update_parameters(model)
    change(model)
    fresh = copy.deepcopy(ema)  # walks the changed model afresh at its update
    ema.update_parameters(model)
    fresh.update_parameters(model)
    for (key, got), want in zip(
        ema.module.state_dict().items(), fresh.module.state_dict().values()
    ):
        assert torch.equal(got, want), key
    before = copy.deepcopy(ema.module.state_dict())
    ema.update_parameters(model)  # and the next update still moves toward the new values
    assert not all(torch.equal(before[k], v) for k, v in ema.module.state_dict().items())


def test_a_momentum_above_a_half_is_warned_about_as_in_mmengine(
    info_logger: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from runner_core.model import ExponentialMovingAverage

    info_logger()
    ExponentialMovingAverage(nn.Linear(2, 2), momentum=0.999)
    out = capsys.readouterr().out
    assert "WARNING" in out and "momentum=0.999" in out and "momentum=0.001 here" in out
    ExponentialMovingAverage(nn.Linear(2, 2), momentum=0.0002)
    assert "WARNING" not in capsys.readouterr().out
