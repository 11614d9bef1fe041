"""``*LR`` schedulers: the generic schedulers with ``param_name='lr'``."""

from __future__ import annotations

from typing import Any

from .param_scheduler import (
    ConstantParamScheduler,
    CosineAnnealingParamScheduler,
    CosineRestartParamScheduler,
    ExponentialParamScheduler,
    LinearParamScheduler,
    MultiStepParamScheduler,
    OneCycleParamScheduler,
    PolyParamScheduler,
    ReduceOnPlateauParamScheduler,
    StepParamScheduler,
)


class LRSchedulerMixin:
    """Fix ``param_name`` to ``'lr'``."""

    _fixed_param_name = "lr"

    def __init__(self, optimizer: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(optimizer, "lr", *args, **kwargs)  # type: ignore[call-arg]


class ConstantLR(LRSchedulerMixin, ConstantParamScheduler):
    __doc__ = ConstantParamScheduler.__doc__


class LinearLR(LRSchedulerMixin, LinearParamScheduler):
    __doc__ = LinearParamScheduler.__doc__


class StepLR(LRSchedulerMixin, StepParamScheduler):
    __doc__ = StepParamScheduler.__doc__


class MultiStepLR(LRSchedulerMixin, MultiStepParamScheduler):
    __doc__ = MultiStepParamScheduler.__doc__


class ExponentialLR(LRSchedulerMixin, ExponentialParamScheduler):
    __doc__ = ExponentialParamScheduler.__doc__


class CosineAnnealingLR(LRSchedulerMixin, CosineAnnealingParamScheduler):
    __doc__ = CosineAnnealingParamScheduler.__doc__


class PolyLR(LRSchedulerMixin, PolyParamScheduler):
    __doc__ = PolyParamScheduler.__doc__


class OneCycleLR(LRSchedulerMixin, OneCycleParamScheduler):
    __doc__ = OneCycleParamScheduler.__doc__


class CosineRestartLR(LRSchedulerMixin, CosineRestartParamScheduler):
    __doc__ = CosineRestartParamScheduler.__doc__


class ReduceOnPlateauLR(LRSchedulerMixin, ReduceOnPlateauParamScheduler):
    __doc__ = ReduceOnPlateauParamScheduler.__doc__
