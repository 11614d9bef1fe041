"""The standard loops, registered in runner-core's LOOPS through entry points."""

from __future__ import annotations

from .__about__ import __version__
from .evaluate import BaseEvalLoop, TestLoop, ValLoop
from .train import BaseTrainLoop, EmptyDataError, EpochBasedTrainLoop, IterBasedTrainLoop

__all__ = [
    "BaseEvalLoop",
    "BaseTrainLoop",
    "EmptyDataError",
    "EpochBasedTrainLoop",
    "IterBasedTrainLoop",
    "TestLoop",
    "ValLoop",
    "__version__",
]
