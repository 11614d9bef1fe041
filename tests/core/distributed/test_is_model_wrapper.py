"""is_model_wrapper: MMEngine's signature, and wrappers registered in child registries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from torch import nn

from runner_core.model import ModuleAdapter, is_model_wrapper
from runner_core.registry import MODEL_WRAPPERS, Registry


@pytest.fixture
def child() -> Iterator[Registry]:
    """A downstream library's MODEL_WRAPPERS (parent=MODEL_WRAPPERS, its own scope)."""
    registry = Registry("model wrapper", parent=MODEL_WRAPPERS, scope="wrapper_test_lib")
    try:
        yield registry
    finally:
        del MODEL_WRAPPERS.children["wrapper_test_lib"]


def test_wrapper_registered_in_a_child_registry_is_a_wrapper(child: Registry) -> None:
    @child.register_module()
    class LibWrapper(nn.Module):
        def __init__(self, module: nn.Module) -> None:
            super().__init__()
            self.module = module

    class SubWrapper(LibWrapper):  # a subclass of a registered wrapper, as in MMEngine
        pass

    wrapped = LibWrapper(nn.Linear(2, 2))
    assert is_model_wrapper(wrapped) is True
    assert is_model_wrapper(wrapped, MODEL_WRAPPERS) is True  # mmpretrain's call
    assert is_model_wrapper(wrapped, registry=child) is True
    assert is_model_wrapper(SubWrapper(nn.Linear(2, 2))) is True
    other = Registry("model wrapper", scope="wrapper_test_other")  # not in the tree
    assert is_model_wrapper(wrapped, other) is False
    assert is_model_wrapper(nn.Linear(2, 2)) is False
    assert is_model_wrapper(ModuleAdapter(nn.Linear(2, 2))) is False


def test_mmengines_wrapper_names_are_registry_keys() -> None:
    # code that builds the wrapper itself (a custom Runner, a strategy), as in MMEngine
    from runner_core.model import MMDistributedDataParallel, MMSeparateDistributedDataParallel

    assert MODEL_WRAPPERS.get("MMDistributedDataParallel") is MMDistributedDataParallel
    assert MODEL_WRAPPERS.get("MMSeparateDistributedDataParallel") is (
        MMSeparateDistributedDataParallel
    )
