"""``get_metric_value``: a metric by its full key or by its unique last part, as MMEngine's."""

from __future__ import annotations

import pytest

from runner_core.evaluator import MetricNotFoundError, get_metric_value

METRICS = {"accuracy/top1": 0.9, "accuracy/top5": 0.99, "coco/bbox/AP": 0.4, "loss": 1.5}


def test_full_key_and_unique_suffix() -> None:
    assert get_metric_value("accuracy/top1", METRICS) == 0.9
    assert get_metric_value("top5", METRICS) == 0.99
    assert get_metric_value("AP", METRICS) == 0.4
    assert get_metric_value("loss", METRICS) == 1.5


def test_unknown_or_ambiguous_indicators_raise_value_errors() -> None:
    with pytest.raises(ValueError, match="accuracy/top3"):
        get_metric_value("accuracy/top3", METRICS)
    with pytest.raises(ValueError, match="top3"):
        get_metric_value("top3", METRICS)
    # a partial prefix is not a suffix match (MMEngine: full names must match exactly)
    with pytest.raises(MetricNotFoundError):
        get_metric_value("bbox/AP", METRICS)
    with pytest.raises(MetricNotFoundError, match="several") as info:
        get_metric_value("top1", {"a/top1": 1, "b/top1": 2})
    assert "a/top1" in str(info.value) and "b/top1" in str(info.value)
