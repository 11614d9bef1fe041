"""Evaluation: ``Evaluator``, ``BaseMetric`` and the ``Accuracy`` metric.

Importing this package is cheap; the torch-backed names load on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_LAZY = {
    "Evaluator": "runner_core.evaluator.evaluator",
    "BaseMetric": "runner_core.evaluator.metric",
    "interleave_results": "runner_core.evaluator.metric",
    "Accuracy": "runner_core.evaluator.accuracy",
}

__all__ = [
    "Accuracy",
    "BaseMetric",
    "Evaluator",
    "interleave_results",
]

if TYPE_CHECKING:  # pragma: no cover
    from .accuracy import Accuracy
    from .evaluator import Evaluator
    from .metric import BaseMetric, interleave_results


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runner_core.evaluator' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
