"""A tiny task for CLI tests: a 4-feature, 2-class problem and a linear model.

Imported by configs through ``custom_imports=dict(imports=['tiny_task'])``;
no files are read, so a training run takes a fraction of a second.
"""

from __future__ import annotations

import time
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from runner_core import BaseModel
from runner_core.evaluator import BaseMetric
from runner_core.hooks import Hook
from runner_core.registry import DATASETS, HOOKS, METRICS, MODELS


@DATASETS.register_module(force=True)
class TinyDataset(Dataset):
    """``size`` points; the label is whether the features sum above zero."""

    def __init__(self, size: int = 64, poison: bool = False, delay: float = 0.0) -> None:
        self.delay = delay  # seconds per sample: a run long enough to be signalled mid-way
        gen = torch.Generator().manual_seed(0)
        self.x = torch.randn(size, 4, generator=gen)
        if poison:
            self.x[:] = float("nan")
        self.y = (self.x.sum(dim=1) > 0).long()

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        if self.delay:
            time.sleep(self.delay)
        return {"inputs": self.x[i], "labels": self.y[i]}


@MODELS.register_module(force=True)
class TinyNet(BaseModel):
    def __init__(self, width: int = 4) -> None:
        super().__init__()
        self.fc = nn.Linear(width, 2)

    def forward(
        self, inputs: torch.Tensor, labels: torch.Tensor | None = None, mode: str = "tensor"
    ) -> Any:
        logits = self.fc(inputs)
        if mode == "loss":
            return {"loss": nn.functional.cross_entropy(logits, labels)}
        if mode == "predict":
            return {"pred": logits, "gt": labels}
        return logits


@MODELS.register_module(force=True)
class TinyPlainForward(BaseModel):
    """A BaseModel with a plain loop's forward(x): train_step cannot call it with the
    batch's keys."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)


@MODELS.register_module(force=True)
class TinyFloatLoss(TinyNet):
    """Returns its loss as a Python float: nothing to back-propagate."""

    def forward(self, inputs: Any, labels: Any = None, mode: str = "tensor") -> Any:
        if mode == "loss":
            return {"loss": 0.5}
        return super().forward(inputs, labels, mode)


@METRICS.register_module(force=True)
class TinyNanScore(BaseMetric):
    """A score that is NaN (a metric dividing by an empty count)."""

    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.append(0)

    def compute_metrics(self, results: list) -> dict:
        return {"score": float("nan")}


@HOOKS.register_module(force=True)
class TinyCtrlCOnce(Hook):
    """Raises KeyboardInterrupt in the first run that finds no ``marker`` file (a user's
    Ctrl-C in a sweep's first trial), and writes it."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def before_train(self, runner: Any) -> None:
        import os

        if not os.path.exists(self.marker):
            with open(self.marker, "w") as fh:
                fh.write("interrupted")
            raise KeyboardInterrupt


@METRICS.register_module(force=True)
class TinyValLoss(BaseMetric):
    """A validation loss (lower is better), as Lightning users monitor."""

    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.append(0)

    def compute_metrics(self, results: list) -> dict:
        return {"val_loss": 1.0 / (1 + len(results))}
