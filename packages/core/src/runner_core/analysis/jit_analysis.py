"""MMEngine's ``mmengine.analysis.jit_analysis`` import path: ``JitModelAnalysis`` and
its ``Statistics``, which live in :mod:`.model_analysis`."""

from __future__ import annotations

from .model_analysis import JitModelAnalysis, Statistics

__all__ = ["JitModelAnalysis", "Statistics"]
