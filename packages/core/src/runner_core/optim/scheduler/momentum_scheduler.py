"""``*Momentum`` schedulers: the generic schedulers on SGD's ``momentum`` or Adam's ``betas[0]``."""

from __future__ import annotations

from typing import Any

from ...errors import BuildValueError
from . import param_scheduler as generic
from .base import scheduled_groups, variant


class MomentumSchedulerMixin:
    """Schedule ``'momentum'``; for Adam-like optimizers, mirror it into ``betas[0]``."""

    _fixed_param_name = "momentum"

    def __init__(self, optimizer: Any, *args: Any, **kwargs: Any) -> None:
        groups = scheduled_groups(optimizer)
        defaults = getattr(optimizer, "defaults", {})
        self.use_betas = False
        if "momentum" not in defaults:
            if "betas" not in defaults:
                raise BuildValueError(
                    f"{type(self).__name__} needs an optimizer with 'momentum' (SGD, RMSprop) "
                    f"or 'betas' (Adam family); {type(getattr(optimizer, 'optimizer', optimizer)).__name__} "
                    "has neither."
                )
            self.use_betas = True
            for group in groups:
                group["momentum"] = group["betas"][0]
        super().__init__(optimizer, "momentum", *args, **kwargs)  # type: ignore[call-arg]

    def step(self, *args: Any, **kwargs: Any) -> None:
        if self.use_betas:
            # A loaded optimizer state replaces the groups, and one saved without a momentum
            # scheduler has no 'momentum' mirror (a resume with resume_param_scheduler=False
            # after adding this scheduler): mirror betas[0] again, where MMEngine raises
            # KeyError: 'momentum'. A load replaces every group: the first one tells.
            groups = scheduled_groups(self.optimizer)  # type: ignore[attr-defined]
            if groups and "momentum" not in groups[0]:
                for group in groups:
                    group.setdefault("momentum", group["betas"][0])
        super().step(*args, **kwargs)  # type: ignore[misc]
        if self.use_betas:
            for group in scheduled_groups(self.optimizer):  # type: ignore[attr-defined]
                group["betas"] = (group["momentum"], *group["betas"][1:])


def _momentum(scheduler: Any) -> Any:
    return variant(scheduler, MomentumSchedulerMixin, "Momentum", __name__)


ConstantMomentum = _momentum(generic.ConstantParamScheduler)
LinearMomentum = _momentum(generic.LinearParamScheduler)
StepMomentum = _momentum(generic.StepParamScheduler)
MultiStepMomentum = _momentum(generic.MultiStepParamScheduler)
ExponentialMomentum = _momentum(generic.ExponentialParamScheduler)
CosineAnnealingMomentum = _momentum(generic.CosineAnnealingParamScheduler)
PolyMomentum = _momentum(generic.PolyParamScheduler)
CosineRestartMomentum = _momentum(generic.CosineRestartParamScheduler)
ReduceOnPlateauMomentum = _momentum(generic.ReduceOnPlateauParamScheduler)
