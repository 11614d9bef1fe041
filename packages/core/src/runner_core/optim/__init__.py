"""Optimization toolbox: optim wrappers, their constructor, parameter schedulers.

The schedulers live in :mod:`runner_core.optim.scheduler`; they are also
exported here, as ``mmengine.optim`` exports them.

Importing this package imports nothing heavy; each name is loaded from its
module on first access (``runner_core.optim.OptimWrapper``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner_core.lazy import lazy_exports

_LAZY = {
    "BaseOptimWrapper": "runner_core.optim.base",
    "OptimWrapper": "runner_core.optim.optim_wrapper",
    "AmpOptimWrapper": "runner_core.optim.amp_optim_wrapper",
    "OptimWrapperDict": "runner_core.optim.optim_wrapper_dict",
    "DefaultOptimWrapperConstructor": "runner_core.optim.constructor",
    "build_optim_wrapper": "runner_core.optim.constructor",
    "build_param_schedulers": "runner_core.optim.scheduler",
    "ZeroRedundancyOptimizer": "runner_core.optim.zero_optimizer",
    # the registries mmengine.optim re-exports
    "OPTIMIZERS": "runner_core.registry",
    "OPTIM_WRAPPER_CONSTRUCTORS": "runner_core.registry",
}

__all__ = [
    "OPTIMIZERS",
    "OPTIM_WRAPPER_CONSTRUCTORS",
    "AmpOptimWrapper",
    "BaseOptimWrapper",
    "DefaultOptimWrapperConstructor",
    "OptimWrapper",
    "OptimWrapperDict",
    "ZeroRedundancyOptimizer",
    "build_optim_wrapper",
    "build_param_schedulers",
    "ConstantLR",
    "ConstantMomentum",
    "ConstantParamScheduler",
    "CosineAnnealingLR",
    "CosineAnnealingMomentum",
    "CosineAnnealingParamScheduler",
    "ExponentialLR",
    "ExponentialMomentum",
    "ExponentialParamScheduler",
    "LinearLR",
    "LinearMomentum",
    "LinearParamScheduler",
    "MultiStepLR",
    "MultiStepMomentum",
    "MultiStepParamScheduler",
    "OneCycleLR",
    "OneCycleParamScheduler",
    "PolyLR",
    "PolyMomentum",
    "PolyParamScheduler",
    "ReduceOnPlateauLR",
    "ReduceOnPlateauMomentum",
    "ReduceOnPlateauParamScheduler",
    "StepLR",
    "StepMomentum",
    "StepParamScheduler",
    "_ParamScheduler",
]
# every other name: a scheduler, as mmengine.optim re-exports them (``from mmengine.optim
# import MultiStepLR``)
_LAZY.update({name: "runner_core.optim.scheduler" for name in __all__ if name not in _LAZY})

if TYPE_CHECKING:  # pragma: no cover
    from ..registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIMIZERS
    from .amp_optim_wrapper import AmpOptimWrapper
    from .base import BaseOptimWrapper
    from .constructor import DefaultOptimWrapperConstructor, build_optim_wrapper
    from .optim_wrapper import OptimWrapper
    from .optim_wrapper_dict import OptimWrapperDict
    from .scheduler import (
        ConstantLR,
        ConstantMomentum,
        ConstantParamScheduler,
        CosineAnnealingLR,
        CosineAnnealingMomentum,
        CosineAnnealingParamScheduler,
        ExponentialLR,
        ExponentialMomentum,
        ExponentialParamScheduler,
        LinearLR,
        LinearMomentum,
        LinearParamScheduler,
        MultiStepLR,
        MultiStepMomentum,
        MultiStepParamScheduler,
        OneCycleLR,
        OneCycleParamScheduler,
        PolyLR,
        PolyMomentum,
        PolyParamScheduler,
        ReduceOnPlateauLR,
        ReduceOnPlateauMomentum,
        ReduceOnPlateauParamScheduler,
        StepLR,
        StepMomentum,
        StepParamScheduler,
        _ParamScheduler,
        build_param_schedulers,
    )
    from .zero_optimizer import ZeroRedundancyOptimizer
else:
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
