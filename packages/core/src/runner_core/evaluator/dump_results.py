"""``DumpResults``: a "metric" that saves every prediction to a pickle file instead of scoring.

MMEngine's way to keep a test set's raw outputs for later
(``test_evaluator=dict(type='DumpResults', out_file_path='preds.pkl')``), to
score offline with :meth:`Evaluator.offline_evaluate`. The file is written
atomically, so an interrupted test never leaves half a pickle behind.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..distributed.collectives import results_to_cpu
from ..errors import ConfigError
from .metric import BaseMetric


class DumpResults(BaseMetric):
    """Save the model's predictions (one entry per sample, on the CPU) to ``out_file_path``.

    Args:
        out_file_path: a ``.pkl`` or ``.pickle`` file (a path object is kept as a
            str); its folder is created.
        collect_device: as :class:`BaseMetric`.
        collect_dir: accepted for MMEngine configs and ignored.

    Returns no metrics: ``evaluate`` gives ``{}``.
    """

    def __init__(
        self, out_file_path: str | Path, collect_device: str = "cpu", collect_dir: str | None = None
    ) -> None:
        super().__init__(collect_device=collect_device, collect_dir=collect_dir)
        if not str(out_file_path).endswith((".pkl", ".pickle")):
            raise ConfigError(
                f"DumpResults out_file_path={str(out_file_path)!r} must be a pickle file: "
                "end it with '.pkl' or '.pickle'."
            )
        self.out_file_path: str = os.fspath(out_file_path)  # a str, as MMEngine's

    def process(self, data_batch: Any, data_samples: Any) -> None:
        if isinstance(data_samples, Mapping):  # a plain module's {'pred': (B, ...), 'gt': (B,)}
            data_samples = _per_sample(data_samples)
        self.results.extend(results_to_cpu(list(data_samples)))

    def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
        from ..checkpoint.atomic import write_bytes_atomic
        from ..logging.print_log import print_log

        path = Path(self.out_file_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL), path)
        print_log(
            f"Saved {len(results)} results to {self.out_file_path}.",
            logger="current",
            level=logging.INFO,
        )
        return {}


def _per_sample(batch: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``{'pred': (B, C), 'gt': (B,)}`` -> B dicts ``{'pred': (C,), 'gt': ()}``.

    ``list(batch)`` would give the keys. The batch size is the arrays' first
    dimension (a list's length only when there is no array); arrays of that size,
    and lists of that length (``img_path``), are split; anything else (a scalar, a
    batch-wide tuple such as ``img_shape``) is repeated in every sample. A tensor's
    row is copied: a view would pickle the whole batch's storage with each sample.
    """
    sizes = {len(v) for v in batch.values() if _is_array(v)}
    if not sizes:
        sizes = {len(v) for v in batch.values() if isinstance(v, list)}
    if len(sizes) != 1:  # nothing batched, or no one batch size: one entry for the batch
        return [dict(batch)]
    (size,) = sizes

    def split(value: Any) -> bool:
        return (_is_array(value) or isinstance(value, list)) and len(value) == size

    return [{k: (_take(v, i) if split(v) else v) for k, v in batch.items()} for i in range(size)]


def _is_array(value: Any) -> bool:
    return getattr(value, "ndim", 0) >= 1


def _take(value: Any, index: int) -> Any:
    item = value[index]
    clone = getattr(item, "clone", None)  # a tensor's row is a view of the batch
    return clone() if callable(clone) and hasattr(item, "untyped_storage") else item


__all__ = ["DumpResults"]
