"""``PerClassValLoop``: validation that also reports the accuracy of every class.

Written on ``BaseLoop`` alone, the way the Runner guide shows a custom loop:
it calls the standard validation hook points in the standard order (so the
logger, checkpoint and early-stopping hooks keep working) and adds one hook
point of its own, ``after_per_class_accuracy``, declared in ``hook_points``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from runner_core.loop import BaseLoop

from .metric import confusion_matrix, predicted_and_true


class PerClassValLoop(BaseLoop):
    """Validate (or test) and add ``per_class/acc_<c>`` (percent) to the metrics.

    Use it with ``val_cfg=dict(type='PerClassValLoop')``; under
    ``test_cfg=dict(type='PerClassValLoop')`` it runs the test hook points.
    After the metrics are computed it calls the hook point
    ``after_per_class_accuracy(runner, per_class)`` with ``{class: percent}``.

    Args:
        runner, dataloader, evaluator: as for every loop.
        num_classes: the number of classes.
        log: write the per-class table to the run's log.
    """

    hook_points: ClassVar[dict[str, tuple[str, ...]]] = {
        "after_per_class_accuracy": ("runner", "per_class"),
    }

    def __init__(
        self,
        runner: Any,
        dataloader: Any,
        evaluator: Any = None,
        num_classes: int = 10,
        log: bool = True,
    ) -> None:
        super().__init__(runner, dataloader, evaluator)
        self.num_classes = int(num_classes)
        self.log = log

    def run(self) -> dict[str, Any]:
        runner, mode = self.runner, self.mode  # mode: 'val' or 'test', from the config key
        model = runner.model
        was_training = model.training
        runner.call_hooks(f"before_{mode}")
        runner.call_hooks(f"before_{mode}_epoch")
        model.eval()
        matrix = torch.zeros(self.num_classes, self.num_classes, dtype=torch.int64)
        with torch.no_grad():
            for idx, data_batch in enumerate(self.dataloader):
                runner.call_hooks(f"before_{mode}_iter", batch_idx=idx, data_batch=data_batch)
                outputs = self.run_iter(idx, data_batch)  # also feeds the evaluator
                pred, true = predicted_and_true(outputs)
                matrix += confusion_matrix(pred, true, self.num_classes)
                runner.call_hooks(
                    f"after_{mode}_iter", batch_idx=idx, data_batch=data_batch, outputs=outputs
                )
        metrics: dict[str, Any] = {}
        if self.evaluator is not None:
            metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        per_class = self.per_class_accuracy(matrix)
        metrics.update({f"per_class/acc_{c}": acc for c, acc in per_class.items()})
        if self.log:
            table = "  ".join(f"{c}: {acc:.1f}" for c, acc in per_class.items())
            runner.logger.info("Per-class accuracy (%s): %s", mode, table)
        runner.call_hooks("after_per_class_accuracy", per_class=per_class)
        runner.call_hooks(f"after_{mode}_epoch", metrics=metrics)
        runner.call_hooks(f"after_{mode}")
        model.train(was_training)
        return metrics

    @staticmethod
    def per_class_accuracy(matrix: torch.Tensor) -> dict[int, float]:
        """``{class: percent of its samples predicted right}`` (classes with samples only)."""
        totals = matrix.sum(dim=1)
        return {
            c: float(100.0 * matrix[c, c] / totals[c]) for c in range(len(matrix)) if totals[c] > 0
        }
