"""Bad config values raise runner's input errors that keep the builtin type MMEngine raises.

The CLI reports these as one paragraph with exit status 2
(tests/cli/test_bad_values.py); code written against MMEngine still catches
them as ``TypeError`` / ``ValueError`` / ``KeyError`` / ``re.error``.
"""

from __future__ import annotations

import re

import pytest
import torch

from runner_core.errors import ConfigError, HookError, RunnerError


def test_log_processor_numbers_and_pattern() -> None:
    from runner_core.logging.log_processor import LogProcessor

    with pytest.raises(TypeError, match=r"log_processor\.num_digits='x'") as info:
        LogProcessor(num_digits="x")
    assert isinstance(info.value, ConfigError)
    with pytest.raises(ValueError, match=r"log_processor\.num_digits=-1"):
        LogProcessor(num_digits=-1)
    with pytest.raises(re.error, match=r"log_processor\.mean_pattern='\('") as broken:
        LogProcessor(mean_pattern="(")
    assert isinstance(broken.value, ConfigError)
    with pytest.raises(TypeError, match="mean_pattern must be a regular expression"):
        LogProcessor(mean_pattern=5)
    assert LogProcessor(num_digits=2, mean_pattern=".*loss").averages("loss")


def test_metric_arguments() -> None:
    from runner_core.evaluator import Accuracy, Evaluator

    with pytest.raises(ValueError, match="collect_device must be") as device:
        Accuracy(collect_device="tpu")
    assert isinstance(device.value, ConfigError)
    with pytest.raises(TypeError, match="Accuracy thrs must be a number"):
        Accuracy(thrs="x")
    with pytest.raises(TypeError, match=r"metrics\[0\] must be a BaseMetric") as metric:
        Evaluator(["Accuracy"])
    assert isinstance(metric.value, ConfigError)
    too_few = Accuracy(topk=(1, 5))
    with pytest.raises(ValueError, match="asks for top-5") as topk:
        too_few.process({}, {"pred": torch.zeros(2, 3), "gt": torch.tensor([0, 1])})
    assert isinstance(topk.value, ConfigError)


def test_evaluator_given_a_name() -> None:
    from runner_core.runner.build import EVALUATOR_KEY, build_evaluator

    token = EVALUATOR_KEY.set("val_evaluator")
    try:
        with pytest.raises(TypeError, match="val_evaluator is the string 'Accuracy'"):
            build_evaluator("Accuracy")
        with pytest.raises(TypeError, match=r"val_evaluator\[0\] is the string"):
            build_evaluator(["Accuracy"])
    finally:
        EVALUATOR_KEY.reset(token)


def test_ema_momentum_not_a_number() -> None:
    from runner_core.model.averaged_model import ExponentialMovingAverage, MomentumAnnealingEMA

    with pytest.raises(TypeError, match="momentum must be a number, got 'x'") as info:
        ExponentialMovingAverage(torch.nn.Linear(1, 1), momentum="x")
    assert isinstance(info.value, HookError)
    with pytest.raises(TypeError, match="gamma must be a number"):
        MomentumAnnealingEMA(torch.nn.Linear(1, 1), gamma="x")


def test_hook_path_and_rule_types() -> None:
    from runner_hooks_standard.checkpoint import CheckpointHook
    from runner_hooks_standard.logger import LoggerHook

    for make in (
        lambda: CheckpointHook(out_dir=5),
        lambda: CheckpointHook(save_best="auto", rule=5),
        lambda: LoggerHook(out_dir=[1]),
        lambda: LoggerHook(out_suffix=5),
    ):
        with pytest.raises(TypeError) as info:
            make()
        assert isinstance(info.value, HookError), info.value


def test_plateau_monitor_missing_is_an_input_key_error() -> None:
    from runner_core.optim.scheduler import ReduceOnPlateauLR

    sgd = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = ReduceOnPlateauLR(sgd, monitor="accuracy")
    with pytest.raises(KeyError, match="monitors 'accuracy'") as info:
        scheduler.step({"loss": 1.0})
    assert isinstance(info.value, ConfigError)


def test_seed_too_large() -> None:
    from runner_core.runner.randomness import check_seed

    with pytest.raises(ValueError, match=r"below 2\*\*63") as info:
        check_seed(2**70)
    assert isinstance(info.value, ConfigError)
    assert check_seed(2**63 - 1) == 2**63 - 1


def test_dataloader_given_a_name() -> None:
    from runner_core.runner import Runner

    with pytest.raises(TypeError, match="dataloader is the string 'x'") as info:
        Runner.build_dataloader("x")
    assert isinstance(info.value, RunnerError)
    batches = [{"inputs": torch.zeros(1)}]  # a list of batches is still used as it is
    assert Runner.build_dataloader(batches) is batches


def test_optimizer_config_of_the_wrong_kind() -> None:
    from runner_core.optim.constructor import build_optim_wrapper

    model = torch.nn.Linear(2, 1)
    with pytest.raises(TypeError, match="optim_wrapper.optimizer must be a dict"):
        build_optim_wrapper(model, {"optimizer": None})
    with pytest.raises(TypeError, match=r"paramwise_cfg\.bias_lr_mult='x'"):
        build_optim_wrapper(
            model, {"optimizer": {"type": "SGD", "lr": 0.1}, "paramwise_cfg": {"bias_lr_mult": "x"}}
        )
    with pytest.raises(TypeError, match=r"clip_grad\.norm_type='abc'"):
        build_optim_wrapper(
            model,
            {
                "optimizer": {"type": "SGD", "lr": 0.1},
                "clip_grad": {"max_norm": 1.0, "norm_type": "abc"},
            },
        )
    infinity = build_optim_wrapper(
        model,
        {"optimizer": {"type": "SGD", "lr": 0.1}, "clip_grad": {"max_norm": 1, "norm_type": "inf"}},
    )
    assert infinity.clip_grad_kwargs["norm_type"] == "inf"


def test_dataset_wrapper_arguments() -> None:
    from runner_core.dataset import ConcatDataset, RepeatDataset

    data = torch.utils.data.TensorDataset(torch.zeros(4, 1))
    with pytest.raises(ValueError, match="times >= 1, got 0") as zero:
        RepeatDataset(data, times=0)
    assert isinstance(zero.value, ConfigError)
    with pytest.raises(TypeError, match="times >= 1, got 'x'"):
        RepeatDataset(data, times="x")
    with pytest.raises(TypeError, match="ignore_keys must be a str or a list") as keys:
        ConcatDataset([data, data], ignore_keys=5)
    assert isinstance(keys.value, ConfigError)
