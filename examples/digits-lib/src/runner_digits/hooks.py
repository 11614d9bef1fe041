"""The library's hooks.

``BestAccuracyHook`` keeps the best validation accuracy so far and writes it,
with that validation's confusion matrix, into the run folder.
``DigitsCheckpointHook`` is the standard ``CheckpointHook`` with this
library's defaults; the ``digits`` default-hooks set puts it in the
``checkpoint`` role.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from runner_core.hooks import Hook, Priority
from runner_hooks_standard.checkpoint import CheckpointHook

from .metric import confusion_matrix, predicted_and_true


class BestAccuracyHook(Hook):
    """Track the best validation score; write ``best_accuracy.json`` and its confusion matrix.

    After every validation whose ``metric`` beats the best so far, it logs
    ``best accuracy/top1 so far: 98.9 (epoch 7, iter 280)`` and writes, in the
    run folder (``runner.log_dir``), ``best_accuracy.json`` (metric, score,
    epoch, iteration) and ``confusion_matrix.txt`` (rows: true class, columns:
    predicted class). The best score is kept in checkpoints, so a resumed run
    keeps comparing against it.

    Args:
        metric: the metric key to watch.
        rule: ``'greater'`` or ``'less'`` is better.
        num_classes: classes of the confusion matrix.
    """

    priority = Priority.LOW

    def __init__(
        self, metric: str = "accuracy/top1", rule: str = "greater", num_classes: int = 10
    ) -> None:
        if rule not in ("greater", "less"):
            raise ValueError(f"BestAccuracyHook rule must be 'greater' or 'less', got {rule!r}.")
        self.metric = metric
        self.rule = rule
        self.num_classes = int(num_classes)
        self.best: float | None = None
        self.best_epoch = 0
        self.best_iter = 0
        self._matrix = torch.zeros(self.num_classes, self.num_classes, dtype=torch.int64)
        self._warned = False

    # -- checkpoints ----------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        if self.best is None:
            return {}
        return {"best": self.best, "best_epoch": self.best_epoch, "best_iter": self.best_iter}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = float(state["best"]) if "best" in state else None
        self.best_epoch = int(state.get("best_epoch", 0))
        self.best_iter = int(state.get("best_iter", 0))

    # -- hook points ------------------------------------------------------------------
    def before_val_epoch(self) -> None:
        self._matrix.zero_()

    def after_val_iter(self, outputs: Any) -> None:
        pred, true = predicted_and_true(outputs)
        self._matrix += confusion_matrix(pred, true, self.num_classes)

    def after_val_epoch(self, runner: Any, metrics: Mapping[str, Any] | None) -> None:
        score = (metrics or {}).get(self.metric)
        if score is None:
            if not self._warned:
                runner.logger.warning(
                    "BestAccuracyHook: the validation metrics have no %r (they have: %s); set "
                    "metric= to one of them.",
                    self.metric,
                    ", ".join(metrics or {}) or "none",
                )
                self._warned = True
            return
        score = float(score)
        if self.best is not None and not self._is_better(score, self.best):
            return
        self.best, self.best_epoch, self.best_iter = score, runner.epoch, runner.iter
        runner.logger.info(
            "best %s so far: %.2f (epoch %d, iter %d)",
            self.metric,
            score,
            self.best_epoch,
            self.best_iter,
        )
        if runner.rank == 0:
            self._write(Path(runner.log_dir))

    # -- helpers ------------------------------------------------------------------------
    def _is_better(self, score: float, best: float) -> bool:
        return score > best if self.rule == "greater" else score < best

    def _write(self, folder: Path) -> None:
        record = {
            "metric": self.metric,
            "best": self.best,
            "epoch": self.best_epoch,
            "iter": self.best_iter,
        }
        (folder / "best_accuracy.json").write_text(json.dumps(record, indent=2) + "\n")
        (folder / "confusion_matrix.txt").write_text(format_matrix(self._matrix))

    def __repr__(self) -> str:
        return f"BestAccuracyHook(metric={self.metric!r}, best={self.best})"


def format_matrix(matrix: torch.Tensor) -> str:
    """A confusion matrix as an aligned text table (rows: true, columns: predicted)."""
    width = max(3, len(str(int(matrix.max()))) + 1) if matrix.numel() else 3
    header = "true\\pred" + "".join(f"{c:>{width}}" for c in range(len(matrix)))
    rows = [f"{t:>9}" + "".join(f"{int(v):>{width}}" for v in row) for t, row in enumerate(matrix)]
    return "\n".join([header, *rows]) + "\n"


class DigitsCheckpointHook(CheckpointHook):
    """The standard ``CheckpointHook`` with this library's defaults.

    Saves every epoch, keeps the two newest periodic checkpoints and the best
    one by ``accuracy/top1`` (with optimizer state, so training can resume
    from it). Every other ``CheckpointHook`` argument works as usual.
    """

    def __init__(
        self,
        interval: int = 1,
        max_keep_ckpts: int = 2,
        save_best: str | list[str] | None = "accuracy/top1",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            interval=interval, max_keep_ckpts=max_keep_ckpts, save_best=save_best, **kwargs
        )
