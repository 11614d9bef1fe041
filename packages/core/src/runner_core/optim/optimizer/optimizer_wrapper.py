"""MMEngine's ``mmengine.optim.optimizer.optimizer_wrapper`` import path."""

from __future__ import annotations

from ..optim_wrapper import OptimWrapper

__all__ = ["OptimWrapper"]
