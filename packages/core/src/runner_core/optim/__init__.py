"""Optimization toolbox: optim wrappers, their constructor, parameter schedulers.

Importing this package imports nothing heavy; each name is loaded from its
module on first access (``runner_core.optim.OptimWrapper``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner_core.lazy import lazy_exports

_LAZY = {
    "OptimWrapper": "runner_core.optim.optim_wrapper",
    "AmpOptimWrapper": "runner_core.optim.amp_optim_wrapper",
    "OptimWrapperDict": "runner_core.optim.optim_wrapper_dict",
    "DefaultOptimWrapperConstructor": "runner_core.optim.constructor",
    "build_optim_wrapper": "runner_core.optim.constructor",
    "build_param_schedulers": "runner_core.optim.scheduler",
}

__all__ = [
    "AmpOptimWrapper",
    "DefaultOptimWrapperConstructor",
    "OptimWrapper",
    "OptimWrapperDict",
    "build_optim_wrapper",
    "build_param_schedulers",
]

if TYPE_CHECKING:  # pragma: no cover
    from .amp_optim_wrapper import AmpOptimWrapper
    from .constructor import DefaultOptimWrapperConstructor, build_optim_wrapper
    from .optim_wrapper import OptimWrapper
    from .optim_wrapper_dict import OptimWrapperDict
    from .scheduler import build_param_schedulers

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
