"""The *LR / *Momentum families are generated from the generic schedulers: real classes."""

from __future__ import annotations

import inspect
import pickle

import pytest
import torch

from runner_core.optim import scheduler as S
from runner_core.optim.scheduler import lr_scheduler, momentum_scheduler

FAMILIES = [(lr_scheduler, "LR"), (momentum_scheduler, "Momentum")]
VARIANTS = [
    (module, name, suffix)
    for module, suffix in FAMILIES
    for name in S.__all__
    if name.endswith(suffix) and not name.endswith("ParamScheduler")
]


def _optimizer() -> torch.optim.SGD:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=1.0, momentum=0.9)


@pytest.mark.parametrize(("module", "name", "suffix"), VARIANTS, ids=[v[1] for v in VARIANTS])
def test_variant_is_a_real_class_of_its_module(module, name: str, suffix: str) -> None:
    cls = getattr(S, name)
    generic = getattr(S, name.removesuffix(suffix) + "ParamScheduler")
    assert cls.__name__ == cls.__qualname__ == name
    assert cls.__module__ == module.__name__ and getattr(module, name) is cls
    assert issubclass(cls, generic) and cls.__doc__ == generic.__doc__
    wanted = [p for p in inspect.signature(generic).parameters if p != "param_name"]
    assert list(inspect.signature(cls).parameters) == wanted
    assert pickle.loads(pickle.dumps(cls)) is cls


def test_positional_and_keyword_calls_agree_and_survive_pickling() -> None:
    by_position = S.StepLR(_optimizer(), 2, 0.5, 0, 10)
    by_name = S.StepLR(_optimizer(), step_size=2, gamma=0.5, begin=0, end=10)
    for _ in range(4):
        by_position.step()
        by_name.step()
    assert by_position.get_last_value() == by_name.get_last_value() == [0.25]
    copy = pickle.loads(pickle.dumps(by_position))
    assert type(copy) is S.StepLR and copy.state_dict() == by_position.state_dict()
    with pytest.raises(TypeError, match="multiple values for argument 'step_size'"):
        S.StepLR(_optimizer(), 2, step_size=3)


def test_common_arguments_reach_a_subclass_through_common() -> None:
    cosine = S.CosineAnnealingMomentum(_optimizer(), begin=2, end=6)
    assert (cosine.T_max, cosine.begin, cosine.end) == (4, 2, 6)
    plateau = S.ReduceOnPlateauLR(_optimizer(), begin=1, end=3, verbose=True)
    assert (plateau.begin, plateau.end, plateau.verbose) == (1, 3, True)


def test_a_subclass_may_call_super_in_mmengine_positional_order() -> None:
    class Halving(S.StepParamScheduler):
        def __init__(self, optimizer, step_size: int, begin: int = 0, end: int = 8) -> None:
            super().__init__(optimizer, "lr", step_size, 0.5, begin, end)

    scheduler = Halving(_optimizer(), 2, 1, 7)
    assert (scheduler.step_size, scheduler.gamma, scheduler.begin, scheduler.end) == (2, 0.5, 1, 7)
    assert list(inspect.signature(Halving).parameters) == ["optimizer", "step_size", "begin", "end"]
