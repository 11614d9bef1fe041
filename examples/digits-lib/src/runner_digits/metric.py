"""``MacroF1``: the macro-averaged F1 score, from the confusion matrix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from runner_core.evaluator import BaseMetric


def predicted_and_true(data_samples: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """``(predicted labels, true labels)`` of a batch from ``{'pred': logits, 'gt': labels}``."""
    if not isinstance(data_samples, Mapping) or "pred" not in data_samples:
        raise TypeError(
            "Expected the model's predict output {'pred': logits [B, C], 'gt': labels [B]}, got "
            f"{type(data_samples).__name__}. DigitsCNN returns that form in mode='predict'."
        )
    logits, labels = data_samples["pred"], data_samples.get("gt")
    if labels is None:
        raise ValueError("The batch has no labels ('gt' is None): metrics need labelled data.")
    return logits.detach().argmax(dim=1).cpu(), labels.detach().cpu().long()


def confusion_matrix(pred: torch.Tensor, true: torch.Tensor, num_classes: int) -> torch.Tensor:
    """``[true class, predicted class]`` counts."""
    flat = true * num_classes + pred
    return torch.bincount(flat, minlength=num_classes * num_classes).reshape(
        num_classes, num_classes
    )


def f1_scores(matrix: torch.Tensor) -> torch.Tensor:
    """Per-class F1 from a confusion matrix; a class never seen nor predicted scores 0."""
    matrix = matrix.double()
    hits = matrix.diag()
    predicted = matrix.sum(dim=0)
    actual = matrix.sum(dim=1)
    denominator = predicted + actual
    return torch.where(denominator > 0, 2 * hits / denominator.clamp(min=1), torch.zeros_like(hits))


class MacroF1(BaseMetric):
    """The unweighted mean of the per-class F1 scores, in percent.

    Reports ``<prefix>/macro_f1`` (prefix ``digits`` by default), with
    ``per_class=True`` ``<prefix>/f1_<class>`` for every class, and with
    ``per_class_accuracy=True`` ``<prefix>/acc_<class>`` (percent of the
    class's samples predicted right, for classes with samples).

    Args:
        num_classes: the number of classes.
        per_class: also report each class's F1.
        per_class_accuracy: also report each class's accuracy.
        collect_device, prefix, collect_dir: as for every ``BaseMetric``.
    """

    default_prefix = "digits"

    def __init__(
        self,
        num_classes: int = 10,
        per_class: bool = False,
        per_class_accuracy: bool = False,
        collect_device: str = "cpu",
        prefix: str | None = None,
        collect_dir: str | None = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        self.num_classes = int(num_classes)
        self.per_class = per_class
        self.per_class_accuracy = per_class_accuracy

    def process(self, data_batch: Any, data_samples: Any) -> None:
        pred, true = predicted_and_true(data_samples)
        # one entry per sample: the results of all ranks are merged sample by sample
        self.results.extend(zip(pred.tolist(), true.tolist()))

    def compute_metrics(self, results: list[Any]) -> dict[str, float]:
        if not results:
            return {"macro_f1": 0.0}
        pred = torch.tensor([p for p, _ in results])
        true = torch.tensor([t for _, t in results])
        matrix = confusion_matrix(pred, true, self.num_classes)
        scores = f1_scores(matrix) * 100
        metrics = {"macro_f1": float(scores.mean())}
        if self.per_class:
            metrics.update({f"f1_{c}": float(s) for c, s in enumerate(scores)})
        if self.per_class_accuracy:
            totals = matrix.sum(dim=1)
            metrics.update(
                {
                    f"acc_{c}": float(100.0 * matrix[c, c] / totals[c])
                    for c in range(self.num_classes)
                    if totals[c] > 0
                }
            )
        return metrics
