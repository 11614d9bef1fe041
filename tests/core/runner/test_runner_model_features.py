"""Runner.train() applies the config's activation_checkpointing / efficient_conv_bn_eval keys."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from runner_core.config import Config
from runner_core.model import ModuleAdapter
from runner_core.model.activation_checkpointing import SubmoduleNotFoundError
from runner_core.runner import Runner


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv, self.bn = nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4)
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return torch.relu(self.bn(self.conv(x)))


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.backbone, self.head = Block(), nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x).mean((2, 3)))


def _runner(tmp_path: Path, **keys: object) -> Runner:
    data = [(torch.randn(3, 6, 6), i % 3) for i in range(8)]
    return Runner.from_cfg(
        Config(
            {
                "model": ModuleAdapter(Net()),
                "work_dir": str(tmp_path),
                "train_dataloader": {"dataset": data, "batch_size": 4},
                "train_cfg": {"by_epoch": False, "max_iters": 2},
                "optim_wrapper": {"optimizer": {"type": "SGD", "lr": 0.1}},
                **keys,
            }
        )
    )


def test_activation_checkpointing_recomputes_the_named_module(tmp_path: Path) -> None:
    runner = _runner(tmp_path, activation_checkpointing=["module.backbone"])
    runner.train()
    assert runner.unwrapped_model.module.backbone.calls == 4  # 2 iterations x (forward + backward)
    log = (runner.log_dir / f"{runner.timestamp}.log").read_text()
    assert (
        "Enabling the \"activation_checkpointing\" feature for sub-modules: ['module.backbone']"
        in log
    )


def test_efficient_conv_bn_eval_fuses_the_pair_and_warns_of_a_module_without(
    tmp_path: Path,
) -> None:
    runner = _runner(tmp_path, efficient_conv_bn_eval=["module.backbone", "module.head"])
    runner.train()
    assert "forward" in vars(runner.unwrapped_model.module.backbone)  # its fused graph
    log = (runner.log_dir / f"{runner.timestamp}.log").read_text()
    assert "'module.head' has no conv -> BatchNorm pair to fuse; it runs as before." in log


def test_a_runner_without_the_keys_keeps_the_model(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    runner.train()
    assert runner.unwrapped_model.module.backbone.calls == 2


def test_an_unknown_name_stops_train_with_the_key(tmp_path: Path) -> None:
    with pytest.raises(SubmoduleNotFoundError, match="activation_checkpointing names 'backbone'"):
        _runner(tmp_path, activation_checkpointing="backbone").train()


def test_a_resume_from_a_before_run_hook_keeps_the_keys(tmp_path: Path) -> None:
    """load_or_resume() in a before_run hook resumes at once; train() still turns the
    config's activation_checkpointing on, as MMEngine's train() does after before_run."""
    from runner_core.hooks import Hook
    from runner_core.model.activation_checkpointing import is_checkpointed

    _runner(tmp_path).train()  # iter_2.pth to resume from

    class Load(Hook):
        def before_run(self, runner: Runner) -> None:
            runner.load_or_resume()

    runner = _runner(
        tmp_path,
        activation_checkpointing=["module.backbone"],
        resume=True,
        train_cfg={"by_epoch": False, "max_iters": 3},
        custom_hooks=[Load()],
    )
    runner.train()
    assert runner.iter == 3 and runner.resume_state.resumed_from is not None
    assert is_checkpointed(runner.unwrapped_model.module.backbone)
    assert runner.unwrapped_model.module.backbone.calls == 2  # 1 iteration x (fwd + bwd)
