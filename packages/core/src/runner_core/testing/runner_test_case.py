"""``RunnerTestCase``: a unittest base class that builds small, real Runners.

Tests of a hook, a loop or a metric need a whole run around them; this class
registers a toy model, dataset and metric, offers an epoch-based and an
iteration-based config that train in a fraction of a second, and cleans up
what a run leaves in the process (current logger, message hub, visualizer,
default scope, the toy registrations) after each test. The names and configs
are MMEngine's, so test suites written against ``mmengine.testing`` port by
changing their imports.
"""

from __future__ import annotations

import copy
import logging
import os
import shutil
import tempfile
import time
from typing import Any, ClassVar
from unittest import TestCase
from uuid import uuid4

import torch
from torch import nn
from torch.utils.data import Dataset

from ..config import Config
from ..distributed import is_distributed
from ..evaluator import BaseMetric
from ..model import BaseModel
from ..registry import DATASETS, METRICS, MODELS
from ..runner import Runner


class ToyModel(BaseModel):
    """Two linear layers, 2 -> 2 -> 1; the loss is ``sum(target - output)``."""

    def __init__(self, data_preprocessor: Any = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor)
        self.linear1 = nn.Linear(2, 2)
        self.linear2 = nn.Linear(2, 1)

    def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
        if isinstance(inputs, list):
            inputs = torch.stack(inputs)
        if isinstance(data_samples, list):
            data_samples = torch.stack(data_samples)
        outputs = self.linear2(self.linear1(inputs))
        if mode == "loss":
            return dict(loss=(data_samples - outputs).sum())
        return outputs


class ToyDataset(Dataset):
    """Twelve random 2-d points, all labelled 1 (drawn once, when this module is imported)."""

    METAINFO: ClassVar[dict] = dict()
    data = torch.randn(12, 2)
    label = torch.ones(12)

    @property
    def metainfo(self) -> dict:
        return self.METAINFO

    def __len__(self) -> int:
        return self.data.size(0)

    def __getitem__(self, index: int) -> dict:
        return dict(inputs=self.data[index], data_samples=self.label[index])


class ToyMetric(BaseMetric):
    """Reports ``acc=1`` whatever it is given: for tests of the evaluation plumbing."""

    def __init__(self, collect_device: str = "cpu", dummy_metrics: Any = None) -> None:
        super().__init__(collect_device=collect_device)
        self.dummy_metrics = dummy_metrics

    def process(self, data_batch: Any, predictions: Any) -> None:
        self.results.append({"acc": 1})

    def compute_metrics(self, results: list) -> dict:
        return dict(acc=1)


def _loader(sampler: str, shuffle: bool) -> dict:
    return dict(
        dataset=dict(type="ToyDataset"),
        sampler=dict(type=sampler, shuffle=shuffle),
        batch_size=3,
        num_workers=0,
    )


def forget_run_instances() -> None:
    """Drop the process-wide instances runs leave behind: loggers, message hubs,
    visualizers and default scopes, so the next test starts as a fresh process would."""
    from ..logging.logger import RunLogger
    from ..logging.message_hub import MessageHub
    from ..registry import DefaultScope
    from ..visualization import Visualizer

    # the tables MMEngine's own tear-down clears
    for kind in (RunLogger, MessageHub, Visualizer, DefaultScope):
        kind._instance_dict.clear()
    RunLogger._current = None  # no longer current; released with its log files


class RunnerTestCase(TestCase):
    """A ``TestCase`` with ready configs and ``build_runner``.

    In ``setUp``: ``ToyModel``, ``ToyDataset`` and ``ToyMetric`` are
    registered (replacing any of that name), and ``self.epoch_based_cfg``
    (2 epochs of 4 iterations, validation each epoch) and
    ``self.iter_based_cfg`` (12 iterations, a checkpoint at the end) are
    Configs whose ``work_dir`` is a fresh temporary folder. Edit them and call
    :meth:`build_runner`. ``tearDown`` removes the folder and the toy
    registrations and forgets the runs' loggers, hubs and visualizers.
    """

    dist_cfg: ClassVar[dict[str, Any]] = dict(
        MASTER_ADDR="127.0.0.1", MASTER_PORT=29600, RANK="0", WORLD_SIZE="1", LOCAL_RANK="0"
    )

    def setUp(self) -> None:
        self.temp_dir = tempfile.TemporaryDirectory()
        MODELS.register_module(module=ToyModel, force=True)
        METRICS.register_module(module=ToyMetric, force=True)
        DATASETS.register_module(module=ToyDataset, force=True)
        self.epoch_based_cfg = Config(
            dict(
                work_dir=self.temp_dir.name,
                model=dict(type="ToyModel"),
                train_dataloader=_loader("DefaultSampler", shuffle=True),
                val_dataloader=_loader("DefaultSampler", shuffle=False),
                val_evaluator=[dict(type="ToyMetric")],
                test_dataloader=_loader("DefaultSampler", shuffle=False),
                test_evaluator=[dict(type="ToyMetric")],
                optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
                train_cfg=dict(by_epoch=True, max_epochs=2, val_interval=1),
                val_cfg=dict(),
                test_cfg=dict(),
                default_hooks=dict(logger=dict(type="LoggerHook", interval=1)),
                custom_hooks=[],
                env_cfg=dict(dist_cfg=dict(backend="nccl")),
                experiment_name="test1",
            )
        )
        self.iter_based_cfg: Config = copy.deepcopy(self.epoch_based_cfg)
        self.iter_based_cfg.train_dataloader = _loader("InfiniteSampler", shuffle=True)
        self.iter_based_cfg.log_processor = dict(by_epoch=False)
        self.iter_based_cfg.train_cfg = dict(by_epoch=False, max_iters=12)
        self.iter_based_cfg.default_hooks = dict(
            logger=dict(type="LoggerHook", interval=1),
            checkpoint=dict(type="CheckpointHook", interval=12, by_epoch=False),
        )

    def tearDown(self) -> None:
        logging.shutdown()  # closes the log files, which a Windows temp dir needs
        forget_run_instances()
        for registry, name in (
            (MODELS, "ToyModel"),
            (METRICS, "ToyMetric"),
            (DATASETS, "ToyDataset"),
        ):
            registry.module_dict.pop(name, None)
        self.temp_dir.cleanup()
        if is_distributed():
            torch.distributed.destroy_process_group()

    def build_runner(self, cfg: Config) -> Runner:
        """A Runner from ``cfg``, under an experiment name no other runner of this test has."""
        cfg.experiment_name = self.experiment_name
        return Runner.from_cfg(cfg)

    @property
    def experiment_name(self) -> str:
        """The test's name, a timestamp and a uuid: runners built within the same second
        would otherwise share the timestamped name, and with it their log folder."""
        return f"{self._testMethodName}_{time.time()} + {uuid4()}"

    def setup_dist_env(self) -> None:
        """Set the environment a one-process ``launcher='pytorch'`` run reads, on a port
        one above the previous call's, so consecutive tests do not collide."""
        self.dist_cfg["MASTER_PORT"] += 1  # the class's dict, shared by every test, as MMEngine's
        for key, value in self.dist_cfg.items():
            os.environ[key] = str(value)

    def clear_work_dir(self) -> None:
        """Empty the work dir (log files closed first) for a second run in one test."""
        logging.shutdown()
        for name in os.listdir(self.temp_dir.name):
            path = os.path.join(self.temp_dir.name, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
