"""MMEngine's ``mmengine.optim.optimizer.optimizer_wrapper_dict`` import path."""

from __future__ import annotations

from ..optim_wrapper_dict import OptimWrapperDict

__all__ = ["OptimWrapperDict"]
