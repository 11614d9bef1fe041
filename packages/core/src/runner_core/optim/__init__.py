"""Optimization toolbox: optim wrappers, their constructor, parameter schedulers.

Importing this package imports nothing heavy; each name is loaded from its
module on first access (``runner_core.optim.OptimWrapper``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runner_core.optim' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
