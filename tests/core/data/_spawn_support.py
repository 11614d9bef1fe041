"""Datasets for tests/core/data/test_spawn_workers.py, importable by name in a spawned worker.

A worker started with ``spawn`` imports the classes its dataset pickle names;
pytest imports test files under ``--import-mode=importlib`` with names no
other process can import, so these live in a module the test puts on
``sys.path``.
"""

from __future__ import annotations

import random

import numpy as np
import torch
from torch.utils.data import Dataset, get_worker_info

from runner_core.registry import DATASETS, TRANSFORMS
from runner_core.registry.scope import get_default_scope


@DATASETS.register_module(force=True)
class NoisyPointsSpawn(Dataset):
    """40 fixed points with fresh noise from python, numpy and torch on every read."""

    def __init__(self, with_scope: bool = False) -> None:
        self.x = torch.randn(40, 64, generator=torch.Generator().manual_seed(0))
        self.with_scope = with_scope

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict[str, object]:
        noise = torch.randn(64) + float(np.random.rand()) + random.random()
        sample: dict[str, object] = {
            "inputs": self.x[i] + 0.1 * noise,
            "labels": torch.tensor(i % 10),
        }
        if self.with_scope:  # the registry's default scope where the sample loaded
            sample["scope"] = str(get_default_scope())
        return sample


class FailsInWorkers(Dataset):
    """Loads in the main process, fails in a worker (what a worker lacks, say)."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> torch.Tensor:
        if get_worker_info() is not None:
            raise LookupError(f"sample {i}: 'Jitter' is not in the transform registry")
        return torch.zeros(2)


class BuildsItsPipelineInWorkers(Dataset):
    """Builds ``SpawnJitter`` from the registry on first read, in whichever process reads:
    the class is registered by a module only ``custom_imports`` names."""

    def __init__(self) -> None:
        self.pipeline = None

    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> torch.Tensor:
        if self.pipeline is None:
            self.pipeline = TRANSFORMS.build({"type": "SpawnJitter"})
        return self.pipeline(torch.full((2,), float(i)))
