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
        with pytest.raises(TypeError, match="val_evaluator is the string 'Accuracy'") as info:
            build_evaluator("Accuracy")
        # MMEngine's ValLoop asserts an Evaluator: `except AssertionError` catches ours too
        assert isinstance(info.value, AssertionError)
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


def test_sampler_seed_may_be_negative() -> None:
    """torch generators take negative seeds, and MMEngine's samplers pass any int on."""
    from runner_core.runner import Runner

    data = torch.utils.data.TensorDataset(torch.arange(6.0))
    for kind in ("DefaultSampler", "InfiniteSampler"):
        loader = Runner.build_dataloader(
            dict(dataset=data, sampler=dict(type=kind, seed=-1), batch_size=2)
        )
        assert loader.sampler.seed == -1
        assert len(next(iter(loader))[0]) == 2


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_integer_check_names_the_key_for_inf_and_nan(value) -> None:
    from runner_core.value_checks import check_number

    with pytest.raises(ValueError, match=r"a\.b=.* is not valid: it must be an integer") as info:
        check_number(value, "a.b", integer=True, minimum=0)
    assert isinstance(info.value, ConfigError)


def test_accuracy_thresholds_may_be_numpy_numbers() -> None:
    import numpy as np

    from runner_core.evaluator import Accuracy

    assert Accuracy(thrs=np.float32(0.5)).thrs == (0.5,)
    metric = Accuracy(thrs=[np.float32(0.5), None, np.int64(0)])
    metric.process({}, {"pred": torch.tensor([[0.0, 3.0], [2.0, 0.0]]), "gt": torch.tensor([1, 1])})
    assert metric.compute_metrics(metric.results) == {
        "top1_thr-0.50": 50.0,
        "top1_no-thr": 50.0,
        "top1_thr-0.00": 50.0,
    }


def test_ema_momentum_may_be_a_0d_tensor() -> None:
    from runner_core.model.averaged_model import ExponentialMovingAverage, MomentumAnnealingEMA
    from runner_hooks_standard.ema import EMAHook

    ema = ExponentialMovingAverage(torch.nn.Linear(1, 1), momentum=torch.tensor(0.25))
    assert ema.momentum == 0.25 and isinstance(ema.momentum, float)
    assert MomentumAnnealingEMA(torch.nn.Linear(1, 1), gamma=torch.tensor(10)).weight(10) == 0.5
    EMAHook(momentum=torch.tensor(0.01))
    with pytest.raises(TypeError, match="momentum must be a number"):
        ExponentialMovingAverage(torch.nn.Linear(1, 1), momentum=torch.tensor([0.1]))


def test_clip_norm_type_may_be_text_that_float_reads() -> None:
    from runner_core.optim.constructor import build_optim_wrapper

    model = torch.nn.Linear(2, 1)

    def build(norm_type):
        return build_optim_wrapper(
            model,
            {
                "optimizer": {"type": "SGD", "lr": 0.1},
                "clip_grad": {"max_norm": 1.0, "norm_type": norm_type},
            },
        )

    for norm_type in ("2", "inf", "1.5"):
        wrapper = build(norm_type)
        model(torch.ones(4, 2)).sum().backward()
        wrapper.step()  # torch's clip_grad_norm_ reads float(norm_type)
        wrapper.zero_grad()
    with pytest.raises(TypeError, match=r"clip_grad\.norm_type='nan'"):
        build("nan")


def test_batches_with_a_dataset_key_are_not_loader_configs() -> None:
    from runner_core.runner import Runner

    batches = [{"dataset": torch.tensor([1, 2]), "x": torch.zeros(1)}]
    assert Runner.build_dataloader(batches) is batches
    named = [{"dataset": "mnist", "inputs": torch.zeros(1)}]
    assert Runner.build_dataloader(named) is named
    with pytest.raises(TypeError, match="list of 1 dataloader config"):
        Runner.build_dataloader([dict(dataset="x", batch_size=2)])
    data = torch.utils.data.TensorDataset(torch.zeros(2))
    with pytest.raises(TypeError, match="list of 2 dataloader config"):
        Runner.build_dataloader([dict(dataset=data), dict(dataset=dict(type="X"))])
    with pytest.raises(TypeError, match=r"trailing comma \(`dataloader = dict\(\.\.\.\),`\)"):
        Runner.build_dataloader((dict(dataset=dict(type="X"), batch_size=2),))


def test_dotted_custom_key_is_shown_as_an_index_without_cfg_options() -> None:
    from runner_core.optim.constructor import build_optim_wrapper

    with pytest.raises(ValueError) as dotted:
        build_optim_wrapper(
            torch.nn.Linear(2, 1),
            {
                "optimizer": {"type": "SGD", "lr": 0.1, "weight_decay": 0.1},
                "paramwise_cfg": {"custom_keys": {"backbone.cls_token": {"decay_mult": -1}}},
            },
        )
    message = str(dotted.value)
    assert "paramwise_cfg.custom_keys['backbone.cls_token'].decay_mult=-1" in message
    assert "--cfg-options" not in message


def test_ema_gamma_example_names_the_ema_type() -> None:
    from runner_core.model.averaged_model import MomentumAnnealingEMA

    with pytest.raises(TypeError, match="ema_type='MomentumAnnealingEMA', gamma=100"):
        MomentumAnnealingEMA(torch.nn.Linear(1, 1), gamma="x")


@pytest.mark.parametrize("monitor", ["acc", "top-1"])
def test_plateau_monitor_hint_matches_parts_of_slashed_keys(monitor) -> None:
    from runner_core.optim.scheduler import ReduceOnPlateauLR

    sgd = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(KeyError, match=r"Did you mean one of 'accuracy/top1', 'accuracy/top5'"):
        ReduceOnPlateauLR(sgd, monitor=monitor).step(
            {"accuracy/top1": 1.0, "accuracy/top5": 1.0, "loss": 1.0}
        )
