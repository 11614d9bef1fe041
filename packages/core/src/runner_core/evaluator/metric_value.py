"""``get_metric_value``: read one metric from an evaluator's results by its full or short name.

Evaluators return keys as ``'<prefix>/<name>'`` (``'accuracy/top1'``); a hook
option or a script that names a metric may give the whole key or just the
part after the last ``/``, as MMEngine's ``get_metric_value`` accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import RunnerError


class MetricNotFoundError(RunnerError, ValueError):
    """No metric, or more than one, matches an indicator (a ValueError, as in MMEngine)."""


def get_metric_value(indicator: str, metrics: Mapping[str, Any]) -> Any:
    """The value of ``metrics[indicator]``, where ``indicator`` may leave out the prefix.

    An indicator with a ``/`` must be a key of ``metrics`` as it is; one
    without matches the key whose last ``/``-separated part equals it, and
    must match exactly one. Anything else raises :class:`MetricNotFoundError`
    listing the keys there are.
    """
    keys = list(metrics)
    if "/" in indicator:
        if indicator in metrics:
            return metrics[indicator]
        raise MetricNotFoundError(
            f"The metric {indicator!r} is not among the evaluator's results {keys}; give one "
            "of those keys, or the part after the last '/' when it is unique."
        )
    matched = [key for key in keys if key.rsplit("/", 1)[-1] == indicator]
    if not matched:
        raise MetricNotFoundError(
            f"No metric named {indicator!r} among the evaluator's results {keys}; give one "
            "of those keys, or the part after the last '/' of one."
        )
    if len(matched) > 1:
        raise MetricNotFoundError(
            f"The metric name {indicator!r} matches several results {matched}; give the "
            "full key (with its prefix) to pick one."
        )
    return metrics[matched[0]]
