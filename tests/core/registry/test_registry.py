"""Registry behaviour users rely on: registration, lookup, build errors."""

from __future__ import annotations

import pytest
import torch

from runner_core.errors import BuildError, RegistryError
from runner_core.registry import OPTIMIZERS, Registry


def test_register_get_and_build_with_defaults() -> None:
    reg = Registry("thing", "runner.things-test")

    @reg.register_module()
    class Widget:
        def __init__(self, size: int, color: str = "red") -> None:
            self.size, self.color = size, color

    built = reg.build({"type": "Widget", "size": 3}, default_args={"color": "blue"})
    assert (built.size, built.color) == (3, "blue")
    assert reg.get("Widget") is Widget
    assert "Widget" in reg.keys()


def test_register_under_names_and_force() -> None:
    reg = Registry("thing", "runner.things-test")
    reg.register_module(name=["A", "B"], module=dict)
    assert reg.get("A") is dict and reg.get("B") is dict
    with pytest.raises(RegistryError, match="already registered"):
        reg.register_module(name="A", module=list)
    reg.register_module(name="A", module=list, force=True)
    assert reg.get("A") is list


def test_type_may_be_a_class_or_a_dotted_path() -> None:
    reg = Registry("thing", "runner.things-test")
    assert isinstance(reg.build({"type": "collections:OrderedDict"}), dict)
    assert reg.build({"type": "fractions.Fraction", "numerator": 1, "denominator": 2}) == 0.5
    assert reg.build({"type": list}) == []


def test_unknown_key_suggests_close_names() -> None:
    reg = Registry("thing", "runner.things-test")
    reg.register_module(name="CheckpointHook", module=dict)
    with pytest.raises(RegistryError) as err:
        reg.get("ChekpointHook")
    assert "Did you mean 'CheckpointHook'?" in str(err.value)


def test_wrong_keyword_names_class_argument_and_key_path() -> None:
    with pytest.raises(BuildError) as err:
        OPTIMIZERS.build(
            {"type": "SGD", "lrr": 0.1},
            default_args={"params": [torch.nn.Parameter(torch.ones(1))]},
            _key_path="optim_wrapper.optimizer",
        )
    msg = str(err.value)
    assert "SGD" in msg and "'lrr'" in msg and "optim_wrapper.optimizer.lrr" in msg
    assert "Did you mean 'lr'?" in msg


def test_options_a_constructor_checks_itself_name_the_config_key() -> None:
    from runner_core.registry import check_arguments, current_build_path

    reg = Registry("thing", "runner.things-test")
    seen = []

    @reg.register_module()
    class Picky:
        def __init__(self, size: int = 1, **options: object) -> None:
            seen.append(current_build_path())
            check_arguments(Picky, options, named_only=True)

    with pytest.raises(BuildError, match=r"\(at 'default_hooks.picky.sise'\)"):
        reg.build({"type": "Picky", "sise": 2}, _key_path="default_hooks.picky")
    assert seen == ["default_hooks.picky"] and current_build_path() is None


def test_pipeline_errors_name_the_whole_key() -> None:
    from runner_core.registry import DATASETS

    @DATASETS.register_module(force=True)
    class WithPipeline:
        def __init__(self, pipeline: list) -> None:
            from runner_core.dataset import Compose

            self.pipeline = Compose(pipeline)

    with pytest.raises(RegistryError, match=r"train_dataloader.dataset.pipeline\[1\].type"):
        DATASETS.build(
            {"type": "WithPipeline", "pipeline": [lambda x: x, {"type": "NoSuchTransform"}]},
            _key_path="train_dataloader.dataset",
        )


def test_every_torch_optimizer_is_available_by_class_name() -> None:
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "LBFGS"):
        assert OPTIMIZERS.get(name) is getattr(torch.optim, name)
    assert "Optimizer" not in OPTIMIZERS  # the base class is not an optimizer to build


def test_missing_type_is_a_clear_error() -> None:
    reg = Registry("thing", "runner.things-test")
    with pytest.raises(BuildError, match="no 'type' key"):
        reg.build({"size": 1}, _key_path="model")
