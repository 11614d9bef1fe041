"""MMEngine's ``mmengine.analysis.jit_analysis`` import path: ``JitModelAnalysis`` and
its ``Statistics``, which live in :mod:`.model_analysis`."""

from __future__ import annotations

from .model_analysis import IGNORED_OPS, JitModelAnalysis, Statistics

_IGNORED_OPS = IGNORED_OPS  # MMEngine's private name (VMamba's analysis script imports it)

__all__ = ["JitModelAnalysis", "Statistics"]
