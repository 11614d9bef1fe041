"""Evaluation: ``Evaluator``, ``BaseMetric``, ``Accuracy``, ``DumpResults``, ``get_metric_value``.

Importing this package is cheap; the torch-backed names load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner_core.lazy import lazy_exports

_LAZY = {
    "Evaluator": "runner_core.evaluator.evaluator",
    "BaseMetric": "runner_core.evaluator.metric",
    "interleave_results": "runner_core.evaluator.metric",
    "Accuracy": "runner_core.evaluator.accuracy",
    "DumpResults": "runner_core.evaluator.dump_results",
    "get_metric_value": "runner_core.evaluator.metric_value",
    "MetricNotFoundError": "runner_core.evaluator.metric_value",
}

__all__ = [
    "Accuracy",
    "BaseMetric",
    "DumpResults",
    "Evaluator",
    "MetricNotFoundError",
    "get_metric_value",
    "interleave_results",
]

if TYPE_CHECKING:  # pragma: no cover
    from .accuracy import Accuracy
    from .dump_results import DumpResults
    from .evaluator import Evaluator
    from .metric import BaseMetric, interleave_results
    from .metric_value import MetricNotFoundError, get_metric_value
else:
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
