"""``BaseMetric``: accumulate per-sample results, gather them from all ranks, compute once.

Results travel between ranks through ``torch.distributed`` collectives
(``all_gather_object``), so no shared file system is needed. They are put
back in dataset order by undoing ``DefaultSampler``'s round-robin split, which
is why ``process`` must append exactly one entry to ``self.results`` per sample.
"""

from __future__ import annotations

import itertools
import logging
from abc import ABCMeta, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, cast

from ..distributed.utils import (
    all_gather_object,
    broadcast_object,
    get_cpu_group,
    is_distributed,
    is_main_process,
)

_HOLE = object()


def interleave_results(parts: Sequence[Sequence[Any]], size: int | None = None) -> list[Any]:
    """Merge per-rank result lists back into dataset order.

    Rank ``r`` of ``w`` saw samples ``r, r + w, r + 2w, ...`` (``DefaultSampler``),
    so taking one entry from each rank in turn restores the order. ``size`` (the
    dataset length) drops the padding samples that rounding up added at the end.
    """
    if size is not None and size < 0:
        raise ValueError(f"size must be >= 0 (the dataset length), got {size}.")
    if len(parts) == 1:  # one process: already in order; one copy, cut to size
        return list(itertools.islice(parts[0], size))
    merged = [
        item
        for column in itertools.zip_longest(*parts, fillvalue=_HOLE)
        for item in column
        if item is not _HOLE
    ]
    return merged if size is None else merged[:size]


#: Types that never hold a tensor: lists of them are copied without a call per item.
_PLAIN = frozenset({int, float, bool, str, bytes, complex, type(None)})


def _to_cpu(obj: Any) -> Any:
    """Move tensors found in lists, tuples and dicts to the CPU.

    Numbers and strings are passed over without a function call each, so a
    metric that keeps one number per sample pays next to nothing here.
    """
    import torch

    return _moved(obj, torch.Tensor)


def _moved(obj: Any, tensor: type[Any]) -> Any:
    kind = type(obj)
    if kind in _PLAIN:
        return obj
    if isinstance(obj, tensor):
        return obj.cpu()
    if kind is list:
        return [v if type(v) in _PLAIN else _moved(v, tensor) for v in obj]
    if isinstance(obj, Mapping):
        return cast(Any, kind)({key: _moved(value, tensor) for key, value in obj.items()})
    if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
        return kind(v if type(v) in _PLAIN else _moved(v, tensor) for v in obj)
    return obj


class BaseMetric(metaclass=ABCMeta):
    """A metric: ``process`` each batch, then ``evaluate`` once per loop.

    Args:
        collect_device: ``'cpu'`` gathers results over a gloo group (tensors in
            results are moved to the CPU first); ``'gpu'`` uses the default
            process group as it is (NCCL on GPUs).
        prefix: put before every metric key as ``'<prefix>/<key>'``; None or
            ``''`` uses the class attribute ``default_prefix`` (as MMEngine).
        collect_dir: accepted for MMEngine configs and ignored: results are
            gathered by collectives, not through a shared directory.
    """

    default_prefix: str | None = None

    def __init__(
        self,
        collect_device: str = "cpu",
        prefix: str | None = None,
        collect_dir: str | None = None,
    ) -> None:
        if collect_device not in ("cpu", "gpu"):
            raise ValueError(
                f"{type(self).__name__}: collect_device must be 'cpu' or 'gpu', got {collect_device!r}."
            )
        self.collect_device = collect_device
        self.collect_dir = collect_dir
        self.prefix = prefix or self.default_prefix
        self.results: list[Any] = []
        self._dataset_meta: dict | None = None

    @property
    def dataset_meta(self) -> dict | None:
        """The dataset's meta information (class names, ...), set by the Runner."""
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, value: dict | None) -> None:
        self._dataset_meta = value

    @abstractmethod
    def process(self, data_batch: Any, data_samples: Any) -> None:
        """Append one entry per sample of this batch to ``self.results``."""

    @abstractmethod
    def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
        """Turn all ranks' results, in dataset order, into ``{name: value}``."""

    def evaluate(self, size: int | None = None) -> dict[str, Any]:
        """Gather results from every rank, compute on rank 0, share the metrics.

        Args:
            size: the dataset length; the gathered results are cut to it, which
                drops the samples ``DefaultSampler`` repeated to even out ranks.
                None keeps every gathered result.
        """
        # compute_metrics gets its results on the CPU, as in MMEngine (it may call .numpy())
        on_cpu = False
        if not is_distributed():  # nothing to gather
            parts = [self.results]
        elif self.collect_device == "cpu":
            parts = all_gather_object(_to_cpu(self.results), group=get_cpu_group())
            on_cpu = True
        else:
            parts = all_gather_object(self.results)
        metrics: dict[str, Any] | None = None
        if is_main_process():
            results = interleave_results(parts, size)
            if not on_cpu:
                results = _to_cpu(results)
            if not results:
                from ..logging.print_log import print_log

                print_log(
                    f"{type(self).__name__} got no results to evaluate: was process() called, "
                    "and does it append to self.results?",
                    logger="current",
                    level=logging.WARNING,
                )
            metrics = self.compute_metrics(results)
            if self.prefix:
                metrics = {f"{self.prefix}/{key}": value for key, value in metrics.items()}
        if self.collect_device == "cpu":
            metrics = broadcast_object(metrics, src=0, group=get_cpu_group())
        else:
            metrics = broadcast_object(metrics, src=0)
        self.results.clear()
        return dict(metrics or {})


__all__ = ["BaseMetric", "interleave_results"]
