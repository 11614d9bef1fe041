"""A subclass's ``call_hook`` sees every hook point the Runner calls, as in MMEngine
(subclasses written for MMEngine override it to trace or wrap hook calls)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import TensorDataset

from runner_core import Runner
from runner_core.model import ModuleAdapter


class TracingRunner(Runner):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.traced: list[str] = []
        super().__init__(*args, **kwargs)

    def call_hook(self, fn_name: str, **kwargs: Any) -> None:
        self.traced.append(fn_name)
        super().call_hook(fn_name, **kwargs)


def _runner(work_dir: Path, **kwargs: Any) -> TracingRunner:
    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(0))
    return TracingRunner(
        model=ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=1)),
        **kwargs,
    )


def test_an_overriding_call_hook_sees_run_and_checkpoint_points(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    runner.train()
    for point in ("before_run", "before_train", "before_save_checkpoint", "after_train"):
        assert point in runner.traced
    assert runner.traced[0] == "before_run" and runner.traced[-1] == "after_run"

    resumed = _runner(tmp_path, resume=True)
    resumed.train()  # nothing left to train: it resumes at the end
    assert "after_load_checkpoint" in resumed.traced
    assert resumed.traced.index("before_run") < resumed.traced.index("after_load_checkpoint")
