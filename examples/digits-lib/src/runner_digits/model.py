"""``DigitsCNN``: a small convolutional network for 8x8 digits."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from runner_core import BaseModel


class DigitsCNN(BaseModel):
    """Two 3x3 conv blocks, a 2x2 pool and a small classifier head.

    ``forward(inputs, labels=None, mode=...)``: batches are dicts
    ``{'inputs': [B, 1, 8, 8], 'labels': [B]}``, passed by keyword.

    * ``mode='loss'``: ``{'loss': cross_entropy}``;
    * ``mode='predict'``: ``{'pred': logits [B, 10], 'gt': labels [B]}``, what
      the ``Accuracy`` and ``MacroF1`` metrics read;
    * ``mode='tensor'``: the logits.

    Args:
        channels: channels of the two conv blocks.
        hidden: width of the hidden layer of the head.
        dropout: dropout before the last layer.
        num_classes: outputs of the last layer.
        data_preprocessor: as for any ``BaseModel``.
    """

    def __init__(
        self,
        channels: tuple[int, int] = (32, 64),
        hidden: int = 128,
        dropout: float = 0.1,
        num_classes: int = 10,
        data_preprocessor: Any = None,
    ) -> None:
        super().__init__(data_preprocessor=data_preprocessor)
        c1, c2 = channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1),
            nn.BatchNorm2d(c1),
            nn.ReLU(inplace=True),
            nn.Conv2d(c1, c2, 3, padding=1),
            nn.BatchNorm2d(c2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),  # 8x8 -> 4x4
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(c2 * 4 * 4, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )

    def forward(
        self, inputs: torch.Tensor, labels: torch.Tensor | None = None, mode: str = "tensor"
    ) -> Any:
        logits = self.head(self.features(inputs))
        if mode == "loss":
            if labels is None:
                raise ValueError("DigitsCNN.forward(mode='loss') needs labels in the batch.")
            return {"loss": nn.functional.cross_entropy(logits.float(), labels)}
        if mode == "predict":
            return {"pred": logits.float(), "gt": labels}
        if mode == "tensor":
            return logits
        raise ValueError(
            f"DigitsCNN.forward: unknown mode {mode!r}; use 'loss', 'predict' or 'tensor'."
        )
