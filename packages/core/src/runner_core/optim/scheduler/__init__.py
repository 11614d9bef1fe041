"""Parameter schedulers (MMEngine semantics, torch-exact values) and their builder.

Every class listed under ``runner.param_schedulers`` in core's
``pyproject.toml`` is importable from here.
"""

from __future__ import annotations

from .base import _ParamScheduler
from .builder import build_param_schedulers
from .lr_scheduler import (
    ConstantLR,
    CosineAnnealingLR,
    CosineRestartLR,
    ExponentialLR,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    PolyLR,
    ReduceOnPlateauLR,
    StepLR,
)
from .momentum_scheduler import (
    ConstantMomentum,
    CosineAnnealingMomentum,
    CosineRestartMomentum,
    ExponentialMomentum,
    LinearMomentum,
    MultiStepMomentum,
    PolyMomentum,
    ReduceOnPlateauMomentum,
    StepMomentum,
)
from .param_scheduler import (
    INF,
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

__all__ = [
    "INF",
    "_ParamScheduler",
    "build_param_schedulers",
    "ConstantParamScheduler",
    "LinearParamScheduler",
    "StepParamScheduler",
    "MultiStepParamScheduler",
    "ExponentialParamScheduler",
    "CosineAnnealingParamScheduler",
    "PolyParamScheduler",
    "OneCycleParamScheduler",
    "CosineRestartParamScheduler",
    "ReduceOnPlateauParamScheduler",
    "ConstantLR",
    "LinearLR",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "PolyLR",
    "OneCycleLR",
    "CosineRestartLR",
    "ReduceOnPlateauLR",
    "ConstantMomentum",
    "LinearMomentum",
    "StepMomentum",
    "MultiStepMomentum",
    "ExponentialMomentum",
    "CosineAnnealingMomentum",
    "PolyMomentum",
    "CosineRestartMomentum",
    "ReduceOnPlateauMomentum",
]
