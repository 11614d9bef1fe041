"""``DigitsDataset``: scikit-learn's bundled 8x8 handwritten digits, split three ways.

The 1,797 images ship inside scikit-learn (``sklearn.datasets.load_digits``
reads a file of the installed package): nothing is downloaded. The split is a
fixed permutation (``split_seed``), so train, val and test never overlap and
are the same on every machine.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch.utils.data import Dataset

from runner_core.errors import ConfigError, did_you_mean

SPLITS = ("train", "val", "test")
#: Fractions of the shuffled data given to train and val; test gets the rest.
TRAIN_FRACTION = 0.7
VAL_FRACTION = 0.15
NUM_CLASSES = 10


@functools.lru_cache(maxsize=1)
def _load_all() -> tuple[torch.Tensor, torch.Tensor]:
    """Every image as ``[N, 1, 8, 8]`` floats in [0, 1], and the labels ``[N]``."""
    from sklearn.datasets import load_digits

    data = load_digits()
    images = torch.tensor(data.images, dtype=torch.float32).unsqueeze(1) / 16.0
    labels = torch.tensor(data.target, dtype=torch.int64)
    return images, labels


def split_indices(split: str, total: int, split_seed: int = 0) -> torch.Tensor:
    """The sample indices of ``split``: a fixed permutation cut 70 / 15 / 15."""
    order = torch.randperm(total, generator=torch.Generator().manual_seed(split_seed))
    n_train = int(TRAIN_FRACTION * total)
    n_val = int(VAL_FRACTION * total)
    cuts = {
        "train": order[:n_train],
        "val": order[n_train : n_train + n_val],
        "test": order[n_train + n_val :],
    }
    return cuts[split]


def build_pipeline(pipeline: Sequence[Any] | None) -> list[Callable[[dict], dict]]:
    """Transforms from ``TRANSFORMS`` configs (or callables), applied in order."""
    if not pipeline:
        return []
    from runner_core.registry import TRANSFORMS

    return [
        TRANSFORMS.build(step, _key_path=f"dataset.pipeline[{i}]")
        for i, step in enumerate(pipeline)
    ]


class DigitsDataset(Dataset):
    """One split of the digits; each sample is ``{'inputs': [1, 8, 8], 'labels': int}``.

    Args:
        split: ``'train'`` (70%), ``'val'`` (15%) or ``'test'`` (15%).
        pipeline: transforms applied to each sample dict, in order: configs
            built from ``TRANSFORMS`` (``dict(type='RandomShift', max_shift=1)``)
            or callables taking and returning the sample dict.
        split_seed: the permutation that decides the split (keep it fixed).
    """

    metainfo = {"classes": tuple(str(d) for d in range(NUM_CLASSES))}

    def __init__(
        self, split: str = "train", pipeline: Sequence[Any] | None = None, split_seed: int = 0
    ) -> None:
        if split not in SPLITS:
            raise ConfigError(
                f"DigitsDataset split={split!r} is not a split.{did_you_mean(split, SPLITS)} "
                f"Use one of {', '.join(SPLITS)}."
            )
        images, labels = _load_all()
        idx = split_indices(split, len(labels), split_seed)
        self.split = split
        self.images = images[idx]
        self.labels = labels[idx]
        self.pipeline = build_pipeline(pipeline)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        sample = {"inputs": self.images[index], "labels": self.labels[index]}
        for transform in self.pipeline:
            sample = transform(sample)
        return sample

    def __repr__(self) -> str:
        return f"DigitsDataset(split={self.split!r}, samples={len(self)})"
