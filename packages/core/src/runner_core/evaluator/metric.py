"""``BaseMetric``: accumulate per-sample results, gather them from all ranks, compute once.

Results travel between ranks through ``torch.distributed`` collectives
(``all_gather_object``), so no shared file system is needed. They are put
back in dataset order by undoing ``DefaultSampler``'s round-robin split, which
is why ``process`` must append exactly one entry to ``self.results`` per sample.
"""

from __future__ import annotations

import logging
from abc import ABCMeta, abstractmethod
from collections.abc import Mapping
from typing import Any

from ..distributed.collectives import (
    COLLECT_DEVICES,
    collect_results,
    interleave_results,
    results_to_cpu,
)
from ..distributed.utils import broadcast_object, get_cpu_group, is_distributed, is_main_process
from ..errors import RunnerError, add_note


class MetricResultTypeError(RunnerError, TypeError, AttributeError):
    """``compute_metrics`` returned something other than a dict (MMEngine then fails with an
    AttributeError on ``.keys()``/``.items()``; so this is one too)."""


class BaseMetric(metaclass=ABCMeta):
    """A metric: ``process`` each batch, then ``evaluate`` once per loop.

    Args:
        collect_device: ``'cpu'`` gathers results over a gloo group (tensors and
            data elements in results are moved to the CPU first); ``'gpu'`` uses the default
            process group as it is (NCCL on GPUs); ``'npu'`` the same, for Ascend
            NPUs (HCCL).
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
        if collect_device not in COLLECT_DEVICES:
            from ..errors import ConfigError  # a ValueError: a config's bad value

            raise ConfigError(
                f"{type(self).__name__}: collect_device must be 'cpu', 'gpu' or 'npu', got "
                f"{collect_device!r}."
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
        try:
            results = collect_results(self.results, size, self.collect_device)
        except Exception as exc:  # on a rank left waiting: another rank most likely failed
            add_note(
                exc,
                f"Raised in metric {type(self).__name__} while gathering its results from "
                "every rank (collect_results), before compute_metrics.",
            )
            raise
        metrics: dict[str, Any] | None = None
        if results is not None and is_main_process():
            # compute_metrics gets its results on the CPU, as in MMEngine (it may call
            # .numpy()); gathering over the CPU group moved them already
            if self.collect_device != "cpu" or not is_distributed():
                results = results_to_cpu(results)
            if not results:
                from ..logging.print_log import print_log

                print_log(
                    f"{type(self).__name__} got no results to evaluate: was process() called, "
                    "and does it append to self.results?",
                    logger="current",
                    level=logging.WARNING,
                )
            metrics = self.compute_metrics(results)
            if not isinstance(metrics, Mapping):  # None: a forgotten return gave {} silently
                raise MetricResultTypeError(
                    f"{type(self).__name__}.compute_metrics must return a dict of metrics "
                    f"({{name: value}}), got {type(metrics).__name__}: {metrics!r:.80}"
                    + (" (a missing return statement?)." if metrics is None else ".")
                )
            if self.prefix:
                metrics = {f"{self.prefix}/{key}": value for key, value in metrics.items()}
        if self.collect_device == "cpu":
            metrics = broadcast_object(metrics, src=0, group=get_cpu_group())
        else:
            metrics = broadcast_object(metrics, src=0)
        self.results.clear()
        return dict(metrics or {})


__all__ = [
    "BaseMetric",
    "MetricResultTypeError",
    "interleave_results",
]  # the latter from distributed.collectives
