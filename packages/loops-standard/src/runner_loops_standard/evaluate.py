"""The validation and test loops."""

from __future__ import annotations

import contextlib
from typing import Any

import torch

from runner_core.loop import BaseLoop


class _EvalLoop(BaseLoop):
    def __init__(
        self, runner: Any, dataloader: Any, evaluator: Any = None, fp16: bool = False
    ) -> None:
        super().__init__(runner, dataloader, evaluator)
        self.fp16 = fp16

    def run(self) -> dict[str, Any]:
        runner = self.runner
        mode = self.mode
        points = runner.hooks.points
        model = runner.model
        was_training = model.training
        runner.call_hooks(f"before_{mode}")
        runner.call_hooks(f"before_{mode}_epoch")
        model.eval()
        before, after = f"before_{mode}_iter", f"after_{mode}_iter"
        with torch.no_grad(), self._autocast():
            for idx, data_batch in enumerate(self.dataloader):
                getattr(points, before)(runner, idx, data_batch)
                outputs = self.run_iter(idx, data_batch)
                getattr(points, after)(runner, idx, data_batch, outputs)
        metrics: dict[str, Any] = {}
        if self.evaluator is not None:
            dataset = getattr(self.dataloader, "dataset", None)
            size = len(dataset) if dataset is not None and hasattr(dataset, "__len__") else None
            metrics = self.evaluator.evaluate(size)
        runner.call_hooks(f"after_{mode}_epoch", metrics=metrics)
        runner.call_hooks(f"after_{mode}")
        model.train(was_training)
        return metrics

    def _autocast(self) -> Any:
        if not self.fp16:
            return contextlib.nullcontext()
        device = self.runner.device.type
        dtype = torch.float16 if device == "cuda" else torch.bfloat16
        return torch.autocast(device_type=device, dtype=dtype)


class ValLoop(_EvalLoop):
    """Run the model on the validation data and compute the metrics.

    Args:
        evaluator: evaluator or metric (or configs) computing the metrics.
        fp16: run under autocast (float16 on CUDA, bfloat16 on CPU).
    """

    mode = "val"


class TestLoop(_EvalLoop):
    """Run the model on the test data and compute the metrics."""

    mode = "test"
