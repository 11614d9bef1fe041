"""MMEngine's ``mmengine.optim.optimizer.default_constructor`` import path."""

from __future__ import annotations

from ..constructor import DefaultOptimWrapperConstructor

__all__ = ["DefaultOptimWrapperConstructor"]
