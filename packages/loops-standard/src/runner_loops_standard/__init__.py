"""The standard loops, registered in runner-core's LOOPS through entry points."""

from __future__ import annotations

from .__about__ import __version__
from .evaluate import TestLoop, ValLoop
from .train import EpochBasedTrainLoop, IterBasedTrainLoop

__all__ = ["EpochBasedTrainLoop", "IterBasedTrainLoop", "TestLoop", "ValLoop", "__version__"]
