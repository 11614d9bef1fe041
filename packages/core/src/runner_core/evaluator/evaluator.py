"""``Evaluator``: feed every metric each batch, merge their results at the end."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..errors import RunnerError
from ..structures.base_data_element import BaseDataElement
from .metric import BaseMetric


class EvaluatorLengthError(RunnerError, ValueError, AssertionError):
    """``offline_evaluate`` got predictions and data of different lengths.

    An AssertionError too: MMEngine checks the lengths with ``assert``.
    """


def _build_metric(spec: Any, where: str) -> BaseMetric:
    if isinstance(spec, Mapping):
        from ..registry import METRICS

        spec = METRICS.build(spec, _key_path=where)
    if not isinstance(spec, BaseMetric):
        raise TypeError(
            f"{where} must be a BaseMetric or a dict(type='<metric name>', ...), got "
            f"{type(spec).__name__}: {spec!r}."
        )
    return spec


class Evaluator:
    """Runs a list of metrics over a loop's outputs.

    Args:
        metrics: a metric, a ``dict(type=...)`` built from METRICS, or a list of
            either. Metric keys must not clash (give clashing metrics different
            ``prefix`` values).
    """

    def __init__(self, metrics: BaseMetric | Mapping[str, Any] | Sequence[Any]) -> None:
        if isinstance(metrics, (BaseMetric, Mapping)):
            metrics = [metrics]
        self.metrics: list[BaseMetric] = [
            _build_metric(spec, f"metrics[{i}]") for i, spec in enumerate(metrics)
        ]
        self._dataset_meta: dict | None = None

    @property
    def dataset_meta(self) -> dict | None:
        """The dataset's meta information, handed on to every metric."""
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, value: dict | None) -> None:
        self._dataset_meta = value
        for metric in self.metrics:
            metric.dataset_meta = value

    def process(self, data_samples: Any, data_batch: Any = None) -> None:
        """Give one batch to every metric: what ``val_step`` returned, and its input batch.

        The argument order is MMEngine's: ``Evaluator.process(data_samples, data_batch)``
        but ``BaseMetric.process(data_batch, data_samples)``. Data elements
        (``BaseDataElement`` and its subclasses) reach the metrics as dicts
        (``to_dict()``), as in MMEngine, so metrics index them by key.
        """
        if isinstance(data_samples, (list, tuple)) and any(
            isinstance(sample, BaseDataElement) for sample in data_samples
        ):
            data_samples = [
                sample.to_dict() if isinstance(sample, BaseDataElement) else sample
                for sample in data_samples
            ]
        for metric in self.metrics:
            metric.process(data_batch, data_samples)

    def evaluate(self, size: int | None = None) -> dict[str, Any]:
        """Every metric's results, merged into one dict.

        Args:
            size: the dataset length, to drop the padding samples added to even
                out ranks; None uses every gathered result.
        """
        merged: dict[str, Any] = {}
        owner: dict[str, str] = {}
        for metric in self.metrics:
            for key, value in metric.evaluate(size).items():
                if key in merged:
                    raise ValueError(
                        f"Two metrics report {key!r} ({owner[key]} and {type(metric).__name__}). "
                        f"Give them different prefixes, e.g. dict(type={type(metric).__name__!r}, "
                        f"prefix='other')."
                    )
                merged[key] = value
                owner[key] = type(metric).__name__
        return merged

    def offline_evaluate(
        self, data_samples: Sequence[Any], data: Sequence[Any] | None = None, chunk_size: int = 1
    ) -> dict[str, Any]:
        """Evaluate saved predictions (one entry per sample) without a model.

        ``data`` (one entry per sample, or None) reaches the metrics in chunks
        of ``chunk_size``, each batched by ``pseudo_collate`` like a loader's
        batch: a dict of lists for dict samples.
        """
        if data is not None and len(data) != len(data_samples):
            raise EvaluatorLengthError(
                f"offline_evaluate got {len(data_samples)} data samples but {len(data)} data items; "
                "pass one data item per prediction (or data=None)."
            )
        from ..data.collate import pseudo_collate

        for start in range(0, len(data_samples), chunk_size):
            samples = list(data_samples[start : start + chunk_size])
            # the data as a loader would batch it (MMEngine collates it the same way)
            batch = None if data is None else pseudo_collate(list(data[start : start + chunk_size]))
            self.process(samples, batch)
        return self.evaluate(len(data_samples))

    def __iter__(self) -> Iterable[BaseMetric]:
        return iter(self.metrics)

    def __repr__(self) -> str:
        return f"Evaluator({', '.join(type(m).__name__ for m in self.metrics)})"


__all__ = ["Evaluator", "EvaluatorLengthError"]
