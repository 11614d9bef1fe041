"""MMEngine's ``mmengine.optim.optimizer.amp_optimizer_wrapper`` import path."""

from __future__ import annotations

from ..amp_optim_wrapper import AmpOptimWrapper

__all__ = ["AmpOptimWrapper"]
