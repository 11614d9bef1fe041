"""Our errors are also the standard exceptions MMEngine raises in the same place.

MMEngine code catches ``ValueError`` / ``TypeError`` / ``KeyError`` /
``RuntimeError`` / ``FileNotFoundError``; those handlers must keep working
after the imports change, while the messages stay ours.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from runner_core import Config, Runner
from runner_core.optim.scheduler import LinearLR, OneCycleLR, StepLR


def _sgd() -> torch.optim.SGD:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)


def test_scheduler_with_end_before_begin_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="end > begin"):
        StepLR(_sgd(), step_size=2, begin=10, end=5)


def test_scheduler_factor_out_of_range_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="start_factor"):
        LinearLR(_sgd(), start_factor=1.5)
    with pytest.raises(ValueError, match="anneal_strategy"):
        OneCycleLR(_sgd(), eta_max=0.1, total_steps=10, anneal_strategy="cosine")


def test_config_from_a_non_dict_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="expects a dict, got list"):
        Config([0, 1])  # type: ignore[arg-type]


def test_config_reserved_key_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="reserved"):
        Config({"filename": "x"})


def test_missing_config_file_is_a_file_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Config.fromfile(tmp_path / "nope.py")


def test_missing_base_config_is_a_file_not_found_error(tmp_path: Path) -> None:
    child = tmp_path / "child.py"
    child.write_text("_base_ = ['./base.py']\nx = 1\n")
    with pytest.raises(FileNotFoundError, match="base.py"):
        Config.fromfile(child)


def test_unknown_registry_name_is_a_key_error() -> None:
    from runner_core.registry import MODELS

    with pytest.raises(KeyError, match="NoSuchModelAnywhere"):
        MODELS.build({"type": "NoSuchModelAnywhere"})


def test_train_without_a_train_loop_is_a_runtime_error(tmp_path: Path) -> None:
    runner = Runner(model=torch.nn.Linear(2, 2), work_dir=str(tmp_path))
    with pytest.raises(RuntimeError, match="needs train_dataloader"):
        runner.train()


def test_missing_checkpoint_is_a_file_not_found_error(tmp_path: Path) -> None:
    runner = Runner(model=torch.nn.Linear(2, 2), work_dir=str(tmp_path))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        runner.load_checkpoint(tmp_path / "nope.pth")


@pytest.mark.parametrize("key", ["load_from", "resume"])
def test_missing_load_from_or_resume_file_is_a_file_not_found_error(tmp_path, key) -> None:
    from runner_core.errors import ConfigError

    with pytest.raises(FileNotFoundError, match="does not exist") as caught:
        Runner.from_cfg(
            Config(
                dict(
                    model=dict(type="Linear", in_features=2, out_features=2),
                    work_dir=str(tmp_path),
                    **{key: "nope.pth"},
                )
            )
        )
    assert isinstance(caught.value, ConfigError)


def test_bad_hook_argument_is_a_value_error() -> None:
    from runner_hooks_standard import CheckpointHook

    with pytest.raises(ValueError, match="save_begin"):
        CheckpointHook(interval=1, save_begin=-1)


@pytest.mark.parametrize(
    ("kwargs", "expected", "match"),
    [  # MMEngine: assert accumulative_counts > 0; raise ValueError for the clip type; assert
        (dict(accumulative_counts=0), AssertionError, "accumulative_counts"),
        (dict(clip_grad=dict(type="norms", max_norm=1)), ValueError, "Did you mean 'norm'"),
        (dict(clip_grad=dict(type="value")), AssertionError, "clip_value"),
        (dict(clip_grad={}), AssertionError, "non-empty dict"),
    ],
)
def test_optim_wrapper_errors_are_mmengines_types(kwargs: dict, expected: type, match: str) -> None:
    from runner_core.optim import OptimWrapper

    with pytest.raises(expected, match=match):
        OptimWrapper(_sgd(), **kwargs)


def test_hook_and_optim_dict_lookups_are_mmengines_types() -> None:
    from runner_core.hooks import get_priority
    from runner_core.optim import OptimWrapper, OptimWrapperDict
    from runner_hooks_standard.ema import EMAHook, ExponentialMovingAverage

    with pytest.raises(KeyError, match="Did you mean 'VERY_HIGH'"):  # MMEngine: Priority[...]
        get_priority("VERY_HIGHH")
    with pytest.raises(KeyError, match="ExponentialMovingAverage"):  # MMEngine: MODELS.build
        EMAHook(ema_type="ExponentialMovingAverag")
    with pytest.raises(AssertionError, match=r"in \(0, 1\)"):  # MMEngine: assert 0 < momentum < 1
        ExponentialMovingAverage(torch.nn.Linear(2, 2), momentum=1.5)
    wrappers = OptimWrapperDict(a=OptimWrapper(_sgd()))
    with pytest.raises(AssertionError, match="has no optim wrapper 'b'"):  # MMEngine asserts
        wrappers["b"]
    with pytest.raises(KeyError):
        wrappers["b"]


def test_runner_build_errors_are_mmengines_types(tmp_path: Path) -> None:
    """MMEngine's Runner raises KeyError / TypeError / ValueError / AssertionError here."""
    runner = Runner(model=torch.nn.Linear(2, 2), work_dir=str(tmp_path))
    cases = [
        (lambda: runner.build_model(dict(foo=1)), KeyError, "no 'type'"),
        (lambda: runner.build_model(None), TypeError, "needs a model"),
        (lambda: runner.build_dataloader(dict(batch_size=2)), KeyError, "no 'dataset'"),
        (lambda: runner.build_optim_wrapper(dict(type="OptimWrapper")), ValueError, "optimizer"),
        (lambda: runner.build_train_loop(5), TypeError, "train_cfg"),
        (lambda: runner.register_hook(object()), TypeError, "is not a Hook"),
        (lambda: LinearLR(dict(type="OptimWrapper")), AssertionError, "Optimizer"),  # type: ignore[arg-type]
    ]
    for call, expected, match in cases:
        with pytest.raises(expected, match=match) as err:
            call()
        assert not str(err.value).startswith(("'", '"'))  # KeyError's quoting is not added
