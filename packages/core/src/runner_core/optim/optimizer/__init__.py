"""MMEngine's ``mmengine.optim.optimizer`` import path: the optim wrappers, their
constructor and builder, which live in :mod:`runner_core.optim` (mmdet's and mmseg's
pure-Python configs import ``...optimizer.optimizer_wrapper.OptimWrapper``)."""

from __future__ import annotations

from ...registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIMIZERS
from ..amp_optim_wrapper import AmpOptimWrapper
from ..base import BaseOptimWrapper
from ..constructor import DefaultOptimWrapperConstructor, build_optim_wrapper
from ..optim_wrapper import OptimWrapper
from ..optim_wrapper_dict import OptimWrapperDict
from ..zero_optimizer import ZeroRedundancyOptimizer
from .builder import TORCH_OPTIMIZERS

__all__ = [
    "OPTIMIZERS",
    "OPTIM_WRAPPER_CONSTRUCTORS",
    "TORCH_OPTIMIZERS",
    "AmpOptimWrapper",
    "BaseOptimWrapper",
    "DefaultOptimWrapperConstructor",
    "OptimWrapper",
    "OptimWrapperDict",
    "ZeroRedundancyOptimizer",
    "build_optim_wrapper",
]
