"""``Evaluator``: feed every metric each batch, merge their results at the end."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence, Sized
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


def _sample_list(data_samples: Any) -> Any:
    """One list of the samples for all metrics, data elements as dicts (MMEngine's copy).

    Batched forms (a dict of tensors, a tensor or array, one data element) are
    not split into samples; they, and non-iterables, are returned as they are.
    """
    if type(data_samples) is not list and (  # the loops' common case skips these checks
        isinstance(data_samples, (Mapping, BaseDataElement, str, bytes))
        or hasattr(data_samples, "__array__")  # a tensor or an array
        or not isinstance(data_samples, Iterable)
    ):
        return data_samples
    return [
        sample.to_dict() if isinstance(sample, BaseDataElement) else sample
        for sample in data_samples
    ]


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
        (``to_dict()``), as in MMEngine, so metrics index them by key. A list,
        tuple or generator of samples becomes one new list that every metric
        gets (a generator is read once); a batched form (a dict of tensors, a
        tensor, an array) reaches the metrics as it is.
        """
        samples = _sample_list(data_samples)
        for metric in self.metrics:
            metric.process(data_batch, samples)

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
        self, data_samples: Iterable[Any], data: Iterable[Any] | None = None, chunk_size: int = 1
    ) -> dict[str, Any]:
        """Evaluate saved predictions (one entry per sample) without a model.

        ``data_samples`` and ``data`` may be any iterables (a generator is read
        once, in chunks, as MMEngine does). ``data`` (one entry per sample, or
        None) reaches the metrics in chunks of ``chunk_size``, each batched by
        ``pseudo_collate`` like a loader's batch: a dict of lists for dict samples.
        """
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError(
                f"offline_evaluate: chunk_size must be a positive int, got {chunk_size!r}."
            )
        if isinstance(data, Sized) and isinstance(data_samples, Sized):
            if len(data) != len(data_samples):
                raise _length_error(len(data_samples), len(data))
        from ..data.collate import pseudo_collate

        sample_iter = _read_once(data_samples)
        data_iter = None if data is None else _read_once(data)
        size = 0
        while True:
            samples = list(itertools.islice(sample_iter, chunk_size))
            batch = None
            if data_iter is not None:
                items = list(itertools.islice(data_iter, chunk_size))
                if len(items) != len(samples):  # iterables without a length: found out here
                    raise _length_error(size + len(samples), size + len(items), partial=True)
                # the data as a loader would batch it (MMEngine collates it the same way)
                batch = pseudo_collate(items) if items else None
            if not samples:
                break
            size += len(samples)
            self.process(samples, batch)
        return self.evaluate(size)

    def __iter__(self) -> Iterable[BaseMetric]:
        return iter(self.metrics)

    def __repr__(self) -> str:
        return f"Evaluator({', '.join(type(m).__name__ for m in self.metrics)})"


def _read_once(values: Iterable[Any]) -> Iterator[Any]:
    """An iterator over ``values``; a sized one stops at its length (a dataset read by
    ``__getitem__`` may never raise the IndexError that ends a plain iteration)."""
    if isinstance(values, Sized):
        return itertools.islice(values, len(values))
    return iter(values)


def _length_error(n_samples: int, n_data: int, partial: bool = False) -> EvaluatorLengthError:
    counted = " (counted until the shorter one ran out)" if partial else ""
    return EvaluatorLengthError(
        f"offline_evaluate got {n_samples} data samples but {n_data} data items{counted}; "
        "pass one data item per prediction (or data=None)."
    )


__all__ = ["Evaluator", "EvaluatorLengthError"]
