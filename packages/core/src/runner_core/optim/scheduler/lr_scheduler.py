"""``*LR`` schedulers: the generic schedulers with ``param_name='lr'``, MMEngine's names."""

from __future__ import annotations

from typing import Any

from . import param_scheduler as generic
from .base import variant


class LRSchedulerMixin:
    """Fix ``param_name`` to ``'lr'``."""

    _fixed_param_name = "lr"

    def __init__(self, optimizer: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(optimizer, "lr", *args, **kwargs)  # type: ignore[call-arg]


def _lr(scheduler: Any) -> Any:
    return variant(scheduler, LRSchedulerMixin, "LR", __name__)


ConstantLR = _lr(generic.ConstantParamScheduler)
LinearLR = _lr(generic.LinearParamScheduler)
StepLR = _lr(generic.StepParamScheduler)
MultiStepLR = _lr(generic.MultiStepParamScheduler)
ExponentialLR = _lr(generic.ExponentialParamScheduler)
CosineAnnealingLR = _lr(generic.CosineAnnealingParamScheduler)
PolyLR = _lr(generic.PolyParamScheduler)
OneCycleLR = _lr(generic.OneCycleParamScheduler)
CosineRestartLR = _lr(generic.CosineRestartParamScheduler)
ReduceOnPlateauLR = _lr(generic.ReduceOnPlateauParamScheduler)
