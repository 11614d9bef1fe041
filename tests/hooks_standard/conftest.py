"""Shared pieces for the standard hooks' tests: a tiny real run, and a fake runner."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from runner_core.logging import MessageHub


def tiny_dataset(n: int = 64, seed: int = 0) -> TensorDataset:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = (x[:, 0] > 0).long()
    return TensorDataset(x, y)


@pytest.fixture
def make_runner(tmp_path: Path) -> Any:
    """``make_runner(**overrides)``: a Runner on a linear model and 64 random samples.

    Batch size 8 gives 8 iterations per epoch; validation (when asked for with
    ``val=True``) uses the same data and the Accuracy metric.
    """
    from runner_core import Runner

    def make(val: bool = False, **overrides: Any) -> Runner:
        torch.manual_seed(0)
        kwargs: dict[str, Any] = dict(
            model=nn.Linear(4, 2),
            work_dir=str(tmp_path / "work"),
            train_dataloader=dict(dataset=tiny_dataset(), batch_size=8),
            train_cfg=dict(by_epoch=True, max_epochs=2),
            optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
            randomness=dict(seed=1),
        )
        if val:
            kwargs.update(
                val_dataloader=dict(dataset=tiny_dataset(32, seed=1), batch_size=8),
                val_evaluator=dict(type="Accuracy"),
            )
        kwargs.update(overrides)
        return Runner(**kwargs)

    return make


class FakeLoop:
    def __init__(self, dataloader: Any = None, max_epochs: int = 2, max_iters: int = 20) -> None:
        self.dataloader = dataloader if dataloader is not None else list(range(10))
        self.max_epochs = max_epochs
        self.max_iters = max_iters
        self.epoch = 0
        self.iter = 0
        self.stop_training = False


class FakeRunner(SimpleNamespace):
    """The attributes hooks read, without building anything."""

    @property
    def epoch(self) -> int:
        return self.train_loop.epoch

    @property
    def iter(self) -> int:
        return self.train_loop.iter

    @property
    def max_epochs(self) -> int:
        return self.train_loop.max_epochs

    @property
    def max_iters(self) -> int:
        return self.train_loop.max_iters

    @property
    def train_dataloader(self) -> Any:
        return self.train_loop.dataloader

    def has_validation(self) -> bool:
        return True


@pytest.fixture
def fake_runner(tmp_path: Path) -> Any:
    def make(**overrides: Any) -> FakeRunner:
        logger = logging.getLogger(f"fake-runner-{id(overrides)}")
        logger.setLevel(logging.INFO)
        fields: dict[str, Any] = dict(
            train_loop=FakeLoop(),
            message_hub=MessageHub("fake"),
            logger=logger,
            visualizer=None,
            optim_wrapper=None,
            param_schedulers=[],
            log_processor_cfg={},
            experiment_name="fake",
            work_dir=tmp_path,
            log_dir=tmp_path / "run",
            timestamp="run",
            rank=0,
            world_size=1,
            device=torch.device("cpu"),
        )
        fields.update(overrides)
        return FakeRunner(**fields)

    return make


@pytest.fixture
def read_jsonl() -> Any:
    import json

    def read(path: Path) -> list[dict]:
        return [json.loads(line) for line in Path(path).read_text().splitlines() if line]

    return read
