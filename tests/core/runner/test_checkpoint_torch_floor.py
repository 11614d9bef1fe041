"""A DDP run saves and loads checkpoints on torch 2.1 (the declared floor), which has no
``torch.distributed.checkpoint.state_dict`` (torch >= 2.2; only FSDP checkpoints need it)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import Dataset

from runner_core import Runner
from runner_core.model import BaseModel


class Data(Dataset):
    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"inputs": torch.full((2,), float(i)), "labels": torch.ones(1)}


class Net(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 1)

    def forward(self, inputs: Any, labels: Any = None, mode: str = "tensor") -> Any:
        out = self.lin(inputs)
        return {"loss": ((out - labels) ** 2).mean()} if mode == "loss" else out


def test_a_ddp_run_saves_and_loads_without_torch_distributed_checkpoint_state_dict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = Runner(
        model=Net(),
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=Data(), batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        default_hooks=dict(logger=dict(interval=1, progress_bar=False)),
    )
    runner.train()  # builds what a checkpoint holds (optimizer, schedulers)
    # torch 2.1: the module does not exist (None in sys.modules makes its import fail)
    monkeypatch.setitem(sys.modules, "torch.distributed.checkpoint.state_dict", None)
    monkeypatch.delitem(sys.modules, "runner_core.distributed.checkpoint", raising=False)
    runner.distributed = True  # as in a DDP run: world_size > 1, a plain (unsharded) model

    runner.save_checkpoint(str(tmp_path), "again.pth")
    saved = torch.load(tmp_path / "again.pth", weights_only=True)
    assert torch.equal(saved["state_dict"]["lin.weight"], runner.model.lin.weight.detach().cpu())

    with torch.no_grad():
        runner.model.lin.weight.zero_()
    runner.load_checkpoint(str(tmp_path / "again.pth"))
    assert torch.equal(runner.model.lin.weight.detach().cpu(), saved["state_dict"]["lin.weight"])
