"""MMSeparateDistributedDataParallel in one process: the checks made before any DDP is built.

Its training on two ranks, next to MMEngine's, is in test_wrapper_parity_two_ranks.py.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from runner_core.distributed.model_wrappers import (
    MMSeparateDistributedDataParallel,
    SeparateDistributedDataParallel,
    is_model_wrapper,
    wrap_model,
)
from runner_core.errors import RunnerError
from runner_core.model import BaseModel
from runner_core.model.wrappers import MMSeparateDistributedDataParallel as FromModelWrappers


class Frozen(BaseModel):
    """No trainable child: nothing to wrap in a DDP (so no process group is needed)."""

    def __init__(self) -> None:
        super().__init__()
        self.gen = nn.Linear(2, 2).requires_grad_(False)

    def forward(
        self, inputs: torch.Tensor, data_samples: object = None, mode: str = "tensor"
    ) -> torch.Tensor:
        return self.gen(inputs)


class OwnParameter(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.gen = nn.Linear(2, 2)
        self.scale = nn.Parameter(torch.ones(1))

    def forward(
        self, inputs: torch.Tensor, data_samples: object = None, mode: str = "tensor"
    ) -> torch.Tensor:
        return self.gen(inputs) * self.scale


def test_mmengine_names_give_the_same_class() -> None:
    assert MMSeparateDistributedDataParallel is SeparateDistributedDataParallel
    assert FromModelWrappers is SeparateDistributedDataParallel
    wrapper = wrap_model(Frozen(), {"type": "MMSeparateDistributedDataParallel"}, "cpu")
    assert type(wrapper) is SeparateDistributedDataParallel
    assert is_model_wrapper(wrapper)


def test_a_wrapped_model_is_not_wrapped_again() -> None:
    wrapper = SeparateDistributedDataParallel(Frozen())
    assert wrap_model(wrapper, None, "cpu") is wrapper


def test_parameters_of_the_model_itself_are_refused() -> None:
    # MMEngine leaves them out of every DDP: each rank trains its own copy
    with pytest.raises(RunnerError, match=r"holds trainable parameters itself \(scale\)"):
        wrap_model(OwnParameter(), {"type": "MMSeparateDistributedDataParallel"}, "cpu")


def test_a_misspelt_key_is_named() -> None:
    cfg = {"type": "MMSeparateDistributedDataParallel", "find_unused_parameter": True}
    with pytest.raises(RunnerError, match="find_unused_parameters"):
        wrap_model(Frozen(), cfg, "cpu")


def test_detect_anomalous_params_is_accepted_with_a_warning_as_mmengine_takes_it() -> None:
    with pytest.warns(UserWarning, match="detect_anomalous_params=True\\) has no effect"):
        wrapper = wrap_model(
            Frozen(),
            {"type": "MMSeparateDistributedDataParallel", "detect_anomalous_params": True},
            "cpu",
        )
    assert is_model_wrapper(wrapper)
