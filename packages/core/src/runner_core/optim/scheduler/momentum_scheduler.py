"""``*Momentum`` schedulers: the generic schedulers on SGD's ``momentum`` or Adam's ``betas[0]``."""

from __future__ import annotations

from typing import Any

from ...errors import BuildError
from .param_scheduler import (
    ConstantParamScheduler,
    CosineAnnealingParamScheduler,
    CosineRestartParamScheduler,
    ExponentialParamScheduler,
    LinearParamScheduler,
    MultiStepParamScheduler,
    PolyParamScheduler,
    ReduceOnPlateauParamScheduler,
    StepParamScheduler,
    param_groups_of,
)


class MomentumSchedulerMixin:
    """Schedule ``'momentum'``; for Adam-like optimizers, mirror it into ``betas[0]``."""

    _fixed_param_name = "momentum"

    def __init__(self, optimizer: Any, *args: Any, **kwargs: Any) -> None:
        groups = param_groups_of(optimizer)
        defaults = getattr(optimizer, "defaults", {})
        self.use_betas = False
        if "momentum" not in defaults:
            if "betas" not in defaults:
                raise BuildError(
                    f"{type(self).__name__} needs an optimizer with 'momentum' (SGD, RMSprop) "
                    f"or 'betas' (Adam family); {type(getattr(optimizer, 'optimizer', optimizer)).__name__} "
                    "has neither."
                )
            self.use_betas = True
            for group in groups:
                group["momentum"] = group["betas"][0]
        super().__init__(optimizer, "momentum", *args, **kwargs)  # type: ignore[call-arg]

    def step(self, *args: Any, **kwargs: Any) -> None:
        super().step(*args, **kwargs)  # type: ignore[misc]
        if self.use_betas:
            for group in self.optimizer.param_groups:  # type: ignore[attr-defined]
                group["betas"] = (group["momentum"], *group["betas"][1:])


class ConstantMomentum(MomentumSchedulerMixin, ConstantParamScheduler):
    __doc__ = ConstantParamScheduler.__doc__


class LinearMomentum(MomentumSchedulerMixin, LinearParamScheduler):
    __doc__ = LinearParamScheduler.__doc__


class StepMomentum(MomentumSchedulerMixin, StepParamScheduler):
    __doc__ = StepParamScheduler.__doc__


class MultiStepMomentum(MomentumSchedulerMixin, MultiStepParamScheduler):
    __doc__ = MultiStepParamScheduler.__doc__


class ExponentialMomentum(MomentumSchedulerMixin, ExponentialParamScheduler):
    __doc__ = ExponentialParamScheduler.__doc__


class CosineAnnealingMomentum(MomentumSchedulerMixin, CosineAnnealingParamScheduler):
    __doc__ = CosineAnnealingParamScheduler.__doc__


class PolyMomentum(MomentumSchedulerMixin, PolyParamScheduler):
    __doc__ = PolyParamScheduler.__doc__


class CosineRestartMomentum(MomentumSchedulerMixin, CosineRestartParamScheduler):
    __doc__ = CosineRestartParamScheduler.__doc__


class ReduceOnPlateauMomentum(MomentumSchedulerMixin, ReduceOnPlateauParamScheduler):
    __doc__ = ReduceOnPlateauParamScheduler.__doc__
