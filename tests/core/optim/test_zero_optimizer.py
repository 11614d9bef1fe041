"""ZeroRedundancyOptimizer in one process: found by name, and clear errors where it cannot run.

Training, checkpoints and resume on two ranks: tests/core/distributed/test_zero_optimizer_two_ranks.py.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from runner_core.errors import ConfigError, RegistryError
from runner_core.optim import OPTIMIZERS, ZeroRedundancyOptimizer, build_optim_wrapper
from runner_core.optim.zero_optimizer import ZeroOptimizerTypeError


def _cfg(**optimizer: object) -> dict:
    return {"optimizer": {"type": "ZeroRedundancyOptimizer", "lr": 0.1, **optimizer}}


def test_registered_under_mmengine_name() -> None:
    assert OPTIMIZERS.lookup("ZeroRedundancyOptimizer") is ZeroRedundancyOptimizer
    assert issubclass(ZeroRedundancyOptimizer, torch.distributed.optim.ZeroRedundancyOptimizer)


def test_without_a_process_group_the_error_says_how_to_launch() -> None:
    assert not torch.distributed.is_initialized()
    with pytest.raises(ConfigError) as info:
        build_optim_wrapper(nn.Linear(2, 2), _cfg(optimizer_type="SGD"))
    assert isinstance(info.value, ValueError)  # what torch's own raises here
    message = str(info.value)
    assert "optim_wrapper.optimizer: ZeroRedundancyOptimizer" in message
    assert "needs an initialised process group" in message
    assert "launcher='pytorch'" in message
    assert "optimizer=dict(type='SGD', ...)" in message  # the one-process alternative


def test_unknown_optimizer_type_names_the_key_and_suggests() -> None:
    with pytest.raises(ZeroOptimizerTypeError) as info:
        build_optim_wrapper(nn.Linear(2, 2), _cfg(optimizer_type="AdamWW"))
    assert isinstance(info.value, AttributeError)  # MMEngine: getattr(torch.optim, ...)
    assert isinstance(info.value, RegistryError)
    message = str(info.value)
    assert "optim_wrapper.optimizer.optimizer_type='AdamWW'" in message
    assert "names no optimizer. Did you mean one of 'AdamW', 'Adam'" in message


def test_in_one_part_of_several_the_error_names_the_part() -> None:
    model = nn.ModuleDict({"gen": nn.Linear(2, 2), "disc": nn.Linear(2, 2)})
    cfg = {
        "constructor": "MultiOptimWrapperConstructor",
        "gen": {"optimizer": {"type": "SGD", "lr": 0.1}},
        "disc": _cfg(optimizer_type="AdamWW"),
    }
    with pytest.raises(ZeroOptimizerTypeError) as info:
        build_optim_wrapper(model, cfg)
    assert "optim_wrapper.disc.optimizer.optimizer_type='AdamWW'" in str(info.value)


@pytest.mark.parametrize(
    ("optimizer_type", "words"),
    [
        ("ZeroRedundancyOptimizer", "is ZeroRedundancyOptimizer itself"),
        (3, "must be an optimizer name such as 'AdamW'"),
    ],
)
def test_bad_optimizer_type_is_refused(optimizer_type: object, words: str) -> None:
    with pytest.raises(ZeroOptimizerTypeError, match=words):
        ZeroRedundancyOptimizer(nn.Linear(2, 2).parameters(), optimizer_type)


def test_overlap_with_ddp_is_refused_before_anything_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.distributed, "is_initialized", lambda: True)
    with pytest.raises(ConfigError, match="overlap_with_ddp=True needs a DDP communication"):
        ZeroRedundancyOptimizer(nn.Linear(2, 2).parameters(), "SGD", lr=0.1, overlap_with_ddp=True)
