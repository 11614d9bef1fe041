"""``Evaluator``: feed every metric each batch, merge their results at the end."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence, Sized
from typing import Any

from ..errors import ConfigError, ConfigTypeError, RunnerError
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
        raise ConfigTypeError(
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
        from ..registry.registry import current_build_path

        parent = current_build_path()  # 'val_evaluator' when a Runner builds it from a config
        where = f"{parent}.metrics" if parent else "metrics"
        if isinstance(metrics, (str, bytes)):  # not a sequence of metrics: its letters
            from ..errors import ConfigTypeError

            raise ConfigTypeError(
                f"{where} is the string {metrics!r}, not a metric: give "
                f"dict(type={metrics!r}){f' at config key {where!r}' if parent else ''} (or "
                "a list of such dicts, or built metrics)."
            )
        if isinstance(metrics, (BaseMetric, Mapping)):
            metrics = [metrics]
        self.metrics: list[BaseMetric] = [
            _build_metric(spec, f"{where}[{i}]") for i, spec in enumerate(metrics)
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
            try:
                metric.process(data_batch, samples)
            except Exception as exc:
                _note_metric(exc, metric, "process")
                raise

    def reset(self) -> None:
        """Drop the results of a pass that never reached :meth:`evaluate` (an error or
        Ctrl-C mid-pass): the standard val and test loops call it as a pass starts, so
        each reports its own samples only (MMEngine's metrics keep them, and the next
        pass counted them too). A metric that accumulates elsewhere resets that itself
        (a ``reset()`` of a metric's own may take arguments: it is not called)."""
        for metric in self.metrics:
            results = getattr(metric, "results", None)
            if isinstance(results, list):
                results.clear()

    def evaluate(self, size: int | None = None) -> dict[str, Any]:
        """Every metric's results, merged into one dict.

        Args:
            size: the dataset length, to drop the padding samples added to even
                out ranks; None uses every gathered result.
        """
        merged: dict[str, Any] = {}
        owner: dict[str, str] = {}
        for metric in self.metrics:
            try:
                computed = metric.evaluate(size)
            except Exception as exc:
                _note_metric(exc, metric, "compute_metrics")
                raise
            for key, value in computed.items():
                if key in merged:  # the config's mistake (a ValueError, as before)
                    raise ConfigError(
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

        In a multi-process run every rank passes the same, whole predictions;
        each rank processes its round-robin share (samples ``rank, rank + w,
        ...``, as ``DefaultSampler`` splits a dataset), so the gathered results
        are every sample once, in order. (MMEngine gathers every rank's full
        copy and cuts it to the length: half the samples twice, the rest never.)
        """
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError(
                f"offline_evaluate: chunk_size must be a positive int, got {chunk_size!r}."
            )
        if isinstance(data, Sized) and isinstance(data_samples, Sized):
            if len(data) != len(data_samples):
                raise _length_error(len(data_samples), len(data))
        from ..data.collate import pseudo_collate
        from ..distributed.utils import get_dist_info

        rank, world_size = get_dist_info()
        sample_count = _Counted(_read_once(data_samples))
        data_count = None if data is None else _Counted(_read_once(data))
        sample_iter = _share(sample_count, rank, world_size)
        data_iter = None if data_count is None else _share(data_count, rank, world_size)
        while True:
            samples = list(itertools.islice(sample_iter, chunk_size))
            batch = None
            if data_iter is not None:
                assert data_count is not None
                items = list(itertools.islice(data_iter, chunk_size))
                if len(items) != len(samples):  # iterables without a length: found out here
                    raise _length_error(sample_count.n, data_count.n, partial=True)
                # the data as a loader would batch it (MMEngine collates it the same way)
                batch = pseudo_collate(items) if items else None
            if not samples:
                break
            self.process(samples, batch)
        # both read to their end now: a rank whose share matched still sees a mismatch
        # in the totals, so every rank raises (none is left waiting in evaluate's gather)
        if data_count is not None and data_count.n != sample_count.n:
            raise _length_error(sample_count.n, data_count.n, partial=True)
        return self.evaluate(sample_count.n)

    def __iter__(self) -> Iterable[BaseMetric]:
        return iter(self.metrics)

    def __repr__(self) -> str:
        return f"Evaluator({', '.join(type(m).__name__ for m in self.metrics)})"


class _Counted:
    """An iterator that counts the items read from it (``n``)."""

    def __init__(self, values: Iterator[Any]) -> None:
        self._values = values
        self.n = 0

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        value = next(self._values)
        self.n += 1
        return value


def _share(values: Iterator[Any], rank: int, world_size: int) -> Iterator[Any]:
    """This rank's round-robin share of ``values`` (all of them in one process)."""
    if world_size == 1:
        return values
    return itertools.islice(values, rank, None, world_size)


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


def _note_metric(exc: BaseException, metric: Any, method: str) -> None:
    """Name the metric (and its ``method``) an error came from (``runner-cli`` shows
    "Raised in ..." notes)."""
    from ..errors import add_note

    name = type(metric).__name__
    if any(note.startswith(f"Raised in metric {name} ") for note in getattr(exc, "__notes__", ())):
        return  # BaseMetric.evaluate named it already (while gathering results)
    hint = ""
    if (
        getattr(metric, "dataset_meta", False) is None
        and isinstance(exc, (TypeError, AttributeError))
        and "NoneType" in str(exc)
        and _raised_on_a_line_reading(exc, "dataset_meta")
    ):  # MMEngine warns about it beforehand; here the error says it where it matters
        hint = (
            " Its dataset_meta is None: the dataset has no metainfo (class names...), so "
            "give the dataset a metainfo, or set metric.dataset_meta yourself."
        )
    add_note(exc, f"Raised in metric {name} ({method}).{hint}")


def _raised_on_a_line_reading(exc: BaseException, name: str) -> bool:
    """Whether the line ``exc`` was raised on mentions ``name`` (its source, if found)."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and name in (frames[-1].line or "")
