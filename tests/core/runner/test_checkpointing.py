"""What a Runner's save tells the user about the checkpoint it writes."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from runner_core import Runner
from runner_core.hooks import Hook
from runner_core.model import BaseModel


class Data(Dataset):
    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"inputs": torch.full((2,), float(i)), "labels": torch.ones(1)}


class Net(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 1)

    def forward(self, inputs: Any, labels: Any = None, mode: str = "tensor") -> Any:
        out = self.fc(inputs)
        return {"loss": ((out - labels) ** 2).mean()} if mode == "loss" else out


@dataclasses.dataclass
class Counter:
    count: int


class StoresADataclass(Hook):
    def before_save_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        checkpoint["my_hook"] = {"state": Counter(runner.epoch)}


def test_a_checkpoint_the_safe_loader_refuses_is_said_once_in_the_runs_log(
    tmp_path: Path, capsys
) -> None:
    """The save-time warning was a Python UserWarning on stderr, one per checkpoint, and
    never in the run's .log file (QA)."""
    runner = Runner(
        model=Net(),
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=Data(), batch_size=2),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        default_hooks=dict(logger=dict(interval=1, progress_bar=False)),
        custom_hooks=[StoresADataclass()],
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runner.train()
    assert (tmp_path / "epoch_2.pth").is_file()
    assert not [w for w in caught if "safe loader" in str(w.message)]  # not a second time
    said = "holds objects that the safe loader (weights_only=True) will refuse: "
    log = next(runner.log_dir.glob("*.log")).read_text()
    lines = [line for line in log.splitlines() if said in line]
    assert len(lines) == 1 and " - WARNING - " in lines[0], lines
    assert f"Checkpoint {str(tmp_path / 'epoch_1.pth')!r}" in lines[0]
    assert f"checkpoint['my_hook']['state']: {__name__}.Counter" in lines[0]
    console = capsys.readouterr()
    assert (console.out + console.err).count(said) == 1
