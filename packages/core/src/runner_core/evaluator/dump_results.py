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
from ..model.per_sample import per_sample
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
            data_samples = per_sample(data_samples)
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
