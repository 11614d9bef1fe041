"""``PerClassValLoop``: validation that also reports the accuracy of every class.

A one-method extension of the standard ``ValLoop``: it overrides ``evaluate()``
(the metrics of the whole pass) and keeps everything else of the standard
loop: the hook points in the standard order (so the logger, checkpoint and
early-stopping hooks keep working), ``torch.no_grad``, ``fp16`` autocast and
the fast hook path. It adds one hook point of its own,
``after_per_class_accuracy``, declared in ``hook_points``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from runner_loops_standard import ValLoop

_PER_CLASS_KEY = re.compile(r"(?:^|/)acc_(\d+)$")


class PerClassValLoop(ValLoop):
    """Validate (or test) and report ``per_class/acc_<c>`` (percent) in the metrics.

    Use it with ``val_cfg=dict(type='PerClassValLoop')``; under
    ``test_cfg=dict(type='PerClassValLoop')`` it runs the test hook points.
    The per-class accuracies come from the evaluator's ``MacroF1`` metric
    (its ``per_class_accuracy`` output, switched on here). After the metrics
    are computed it calls the hook point
    ``after_per_class_accuracy(runner, per_class)`` with ``{class: percent}``.

    Args:
        runner, dataloader, evaluator, fp16, dtype: as for ``ValLoop``.
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
        fp16: bool = False,
        log: bool = True,
        dtype: Any = None,
    ) -> None:
        super().__init__(runner, dataloader, evaluator, fp16, dtype=dtype)
        self.log = log
        metrics = getattr(self.evaluator, "metrics", [])
        if not any(hasattr(m, "per_class_accuracy") for m in metrics):
            raise ValueError(
                "PerClassValLoop needs a MacroF1 metric in its evaluator: add "
                "dict(type='MacroF1') to val_evaluator (and test_evaluator)."
            )
        for metric in metrics:
            if hasattr(metric, "per_class_accuracy"):
                metric.per_class_accuracy = True

    def evaluate(self) -> dict[str, Any]:
        metrics: dict[str, Any] = {}
        per_class: dict[int, float] = {}
        for key, value in super().evaluate().items():
            found = _PER_CLASS_KEY.search(key)
            if found:
                per_class[int(found.group(1))] = value
            else:
                metrics[key] = value
        metrics.update({f"per_class/acc_{c}": acc for c, acc in sorted(per_class.items())})
        if self.log:
            table = "  ".join(f"{c}: {acc:.1f}" for c, acc in sorted(per_class.items()))
            self.runner.logger.info("Per-class accuracy (%s): %s", self.mode, table)
        self.runner.call_hook("after_per_class_accuracy", per_class=per_class)
        return metrics
