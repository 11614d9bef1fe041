"""MMEngine's ``mmengine.optim.optimizer.builder`` import path: ``build_optim_wrapper``
and ``TORCH_OPTIMIZERS``, the names of the optimizer classes in ``torch.optim``."""

from __future__ import annotations

import inspect

import torch

from ..constructor import build_optim_wrapper

#: the optimizer classes torch.optim offers, by name (MMEngine's list)
TORCH_OPTIMIZERS: list[str] = [
    name
    for name in dir(torch.optim)
    if not name.startswith("__")
    and inspect.isclass(getattr(torch.optim, name))
    and issubclass(getattr(torch.optim, name), torch.optim.Optimizer)
]

__all__ = ["TORCH_OPTIMIZERS", "build_optim_wrapper"]
