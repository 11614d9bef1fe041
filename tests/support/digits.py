"""A real small task for Runner tests: scikit-learn's bundled 8x8 digits (no download)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from runner_core import BaseModel
from runner_core.registry import DATASETS, MODELS


@DATASETS.register_module(force=True)
class DigitsForTests(Dataset):
    """The digits, split 80/20 by a fixed permutation; pixels scaled to [0, 1]."""

    def __init__(self, split: str = "train") -> None:
        from sklearn.datasets import load_digits

        data = load_digits()
        x = torch.tensor(data.data, dtype=torch.float32) / 16.0
        y = torch.tensor(data.target, dtype=torch.int64)
        order = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
        cut = int(0.8 * len(y))
        idx = order[:cut] if split == "train" else order[cut:]
        self.x, self.y = x[idx], y[idx]

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"inputs": self.x[i], "labels": self.y[i]}


@MODELS.register_module(force=True)
class DigitsMLPForTests(BaseModel):
    def __init__(self, hidden: int = 64, dropout: float = 0.0) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(64, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 10)
        )

    def forward(
        self, inputs: torch.Tensor, labels: torch.Tensor | None = None, mode: str = "tensor"
    ) -> Any:
        logits = self.net(inputs)
        if mode == "loss":
            return {"loss": nn.functional.cross_entropy(logits, labels)}
        if mode == "predict":
            return {"pred": logits, "gt": labels}
        return logits


def digits_cfg(work_dir: str, by_epoch: bool = True, **overrides: Any) -> dict[str, Any]:
    loop = (
        dict(by_epoch=True, max_epochs=10)
        if by_epoch
        else dict(by_epoch=False, max_iters=500, val_interval=250)
    )
    cfg: dict[str, Any] = dict(
        model=dict(type="DigitsMLPForTests"),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=dict(type="DigitsForTests", split="train"),
            sampler=dict(type="DefaultSampler", shuffle=True),
            batch_size=32,
        ),
        val_dataloader=dict(
            dataset=dict(type="DigitsForTests", split="val"),
            sampler=dict(type="DefaultSampler", shuffle=False),
            batch_size=128,
        ),
        val_evaluator=dict(type="Accuracy"),
        train_cfg=loop,
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1, momentum=0.9)),
        param_scheduler=[
            dict(type="MultiStepLR", milestones=[8] if by_epoch else [400], by_epoch=by_epoch)
        ],
        randomness=dict(seed=0),
    )
    if not by_epoch:  # a checkpoint at each validation, not after every one of 500 iterations
        cfg["default_hooks"] = dict(checkpoint=dict(by_epoch=False, interval=250))
    cfg.update(overrides)
    return cfg
