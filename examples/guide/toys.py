"""Small stand-ins for the guide's placeholders (ResNet, ImageNetDataset, ...).

The guide's examples name models and data sets that need downloads and GPUs.
These stand-ins keep the names and the interfaces but train in seconds on the
CPU, on synthetic data made from a fixed seed (nothing is downloaded).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from runner_core import BaseModel
from runner_core.evaluator.accuracy import Accuracy
from runner_core.registry import DATASETS, METRICS, MODELS

NUM_FEATURES = 16
NUM_CLASSES = 4


class BlobDataset(Dataset):
    """Gaussian blobs, one per class: easy to learn, fixed by ``seed``."""

    def __init__(
        self, num_samples: int = 256, seed: int = 0, pipeline: Any = None, **_: Any
    ) -> None:
        g = torch.Generator().manual_seed(seed)
        centers = (
            torch.randn(NUM_CLASSES, NUM_FEATURES, generator=torch.Generator().manual_seed(1234))
            * 3
        )
        self.labels = torch.randint(0, NUM_CLASSES, (num_samples,), generator=g)
        self.inputs = centers[self.labels] + torch.randn(num_samples, NUM_FEATURES, generator=g)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.inputs[idx], self.labels[idx]


@DATASETS.register_module(force=True)
class ImageNetDataset(BlobDataset):
    """The guide's ImageNet, shrunk."""


@DATASETS.register_module(name="ImageNet", force=True)
class ImageNet(BlobDataset):
    """The config example's ``type='ImageNet'``."""


@DATASETS.register_module(force=True)
class CocoDataset(BlobDataset):
    """The guide's COCO, shrunk (classification stands in for detection)."""


@DATASETS.register_module(force=True)
class ValDataset2(BlobDataset):
    """The second validation set of the guide's custom loop."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(num_samples=64, seed=99, **kwargs)


class Classifier(BaseModel):
    """A small MLP classifier with the ``forward(inputs, labels, mode)`` contract."""

    def __init__(self, hidden: int = 32, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(NUM_FEATURES, hidden), nn.ReLU(), nn.Linear(hidden, num_classes)
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


class ResNet(Classifier):
    """The guide's ResNet, shrunk."""


class FasterRCNN(Classifier):
    """The guide's Faster R-CNN, shrunk to a classifier."""


@METRICS.register_module(force=True)
class CocoMetric(Accuracy):
    """The guide's COCO metric: top-1 accuracy here."""


# -- the config example's model: ImageClassifier(backbone, neck, head) -----------
@MODELS.register_module(name="ResNet", force=True)
class ToyBackbone(nn.Module):
    def __init__(self, depth: int = 50) -> None:
        super().__init__()
        self.depth = depth
        self.body = nn.Sequential(nn.Linear(NUM_FEATURES, 32), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


@MODELS.register_module(force=True)
class GlobalAveragePooling(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1)


@MODELS.register_module(force=True)
class LinearClsHead(nn.Module):
    def __init__(self, num_classes: int, in_channels: int = 32) -> None:
        super().__init__()
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)


@MODELS.register_module(force=True)
class ImageClassifier(BaseModel):
    def __init__(
        self, backbone: dict, neck: dict, head: dict, data_preprocessor: Any = None
    ) -> None:
        super().__init__(data_preprocessor)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.head = MODELS.build(head)

    def forward(
        self, inputs: torch.Tensor, labels: torch.Tensor | None = None, mode: str = "tensor"
    ) -> Any:
        logits = self.head(self.neck(self.backbone(inputs)))
        if mode == "loss":
            return {"loss": nn.functional.cross_entropy(logits, labels)}
        if mode == "predict":
            return {"pred": logits, "gt": labels}
        return logits
