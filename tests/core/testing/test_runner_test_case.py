"""``RunnerTestCase``: MMEngine's base class for tests that need a real run."""

from __future__ import annotations

import os
import unittest
from pathlib import Path

import pytest
import torch

from runner_core.logging import MessageHub, MMLogger
from runner_core.registry import DATASETS, METRICS, MODELS, DefaultScope
from runner_core.testing import RunnerTestCase
from runner_core.visualization import Visualizer


class _Ported(RunnerTestCase):
    """A test written for mmengine.testing, imports changed."""

    seen: dict = {}

    def test_epoch_based(self) -> None:
        runner = self.build_runner(self.epoch_based_cfg)
        runner.train()
        metrics = runner.test()
        type(self).seen.update(
            epoch=runner.epoch, iter=runner.iter, metrics=metrics, work_dir=self.temp_dir.name,
            files=sorted(os.listdir(self.temp_dir.name)),
        )  # fmt: skip

    def test_iter_based(self) -> None:
        runner = self.build_runner(self.iter_based_cfg)
        runner.train()
        type(self).seen.update(iter_files=sorted(os.listdir(self.temp_dir.name)), iters=runner.iter)

    def test_two_runners_in_one_test(self) -> None:
        first = self.build_runner(self.epoch_based_cfg)
        self.clear_work_dir()
        second = self.build_runner(self.epoch_based_cfg)
        type(self).seen.update(names=(first.experiment_name, second.experiment_name))


def _run(*names: str) -> unittest.TestResult:
    suite = unittest.TestSuite(_Ported(name) for name in names)
    result = unittest.TestResult()
    suite.run(result)
    assert not result.errors and not result.failures, result.errors + result.failures
    return result


def test_the_epoch_based_config_trains_validates_and_tests() -> None:
    _run("test_epoch_based")
    seen = _Ported.seen
    assert (seen["epoch"], seen["iter"]) == (2, 8)  # 12 samples, batch 3, 2 epochs
    assert seen["metrics"] == {"acc": 1}
    assert "epoch_2.pth" in seen["files"]
    assert not Path(seen["work_dir"]).exists()  # tearDown removed the folder


def test_the_iter_based_config_checkpoints_at_its_end() -> None:
    _run("test_iter_based")
    assert _Ported.seen["iters"] == 12
    assert "iter_12.pth" in _Ported.seen["iter_files"]


def test_runners_get_distinct_experiment_names() -> None:
    _run("test_two_runners_in_one_test")
    first, second = _Ported.seen["names"]
    assert first != second and first.startswith("test_two_runners_in_one_test_")


def test_teardown_leaves_no_toy_registrations_nor_run_instances() -> None:
    _run("test_epoch_based")
    for registry, name in ((MODELS, "ToyModel"), (METRICS, "ToyMetric"), (DATASETS, "ToyDataset")):
        assert name not in registry.module_dict
    assert not MessageHub._instance_dict and not MMLogger._instance_dict
    assert not Visualizer._instance_dict and not DefaultScope._instance_dict
    with pytest.raises(RuntimeError):
        Visualizer.get_current_instance()


def test_setup_dist_env_moves_to_a_new_port_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RunnerTestCase, "dist_cfg", dict(RunnerTestCase.dist_cfg))
    for key in ("MASTER_PORT", "MASTER_ADDR", "RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(key, raising=False)
    case = _Ported("test_epoch_based")
    start = RunnerTestCase.dist_cfg["MASTER_PORT"]
    case.setup_dist_env()
    _Ported("test_iter_based").setup_dist_env()
    assert os.environ["MASTER_PORT"] == str(start + 2)
    assert (os.environ["RANK"], os.environ["WORLD_SIZE"], os.environ["MASTER_ADDR"]) == (
        "0",
        "1",
        "127.0.0.1",
    )


def test_toy_model_losses_match_its_definition() -> None:
    from runner_core.testing.runner_test_case import ToyModel

    model = ToyModel()
    inputs = [torch.ones(2), torch.zeros(2)]
    targets = [torch.tensor(1.0), torch.tensor(0.0)]
    loss = model(inputs, targets, mode="loss")["loss"]
    outputs = model(torch.stack(inputs))
    assert outputs.shape == (2, 1)
    # the targets (N,) broadcast against the outputs (N, 1), as in MMEngine's toy model
    assert torch.equal(loss, (torch.stack(targets) - outputs).sum())
