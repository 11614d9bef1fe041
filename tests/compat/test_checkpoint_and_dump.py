"""Files a run writes, as MMEngine writes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from runner_core import BaseModel, Config, Runner


class _Pairs(torch.utils.data.Dataset):
    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"inputs": torch.full((2,), float(i)), "target": torch.tensor([float(i)])}


class _Regressor(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 1)

    def forward(self, inputs: torch.Tensor, target: Any = None, mode: str = "tensor") -> Any:
        out = self.fc(inputs)
        return {"loss": ((out - target) ** 2).mean()} if mode == "loss" else out


def _run(work_dir: Path, checkpoint: dict[str, Any], **train_cfg: Any) -> Runner:
    runner = Runner(
        model=_Regressor(),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=_Pairs(), sampler=dict(type="DefaultSampler"), batch_size=2),
        train_cfg=train_cfg,
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.001)),
        default_hooks=dict(checkpoint=dict(type="CheckpointHook", **checkpoint)),
    )
    runner.train()
    return runner


def test_checkpoint_save_begin_is_the_first_saved_epoch(tmp_path: Path) -> None:
    _run(tmp_path, dict(interval=2, save_begin=5, max_keep_ckpts=-1), by_epoch=True, max_epochs=10)
    saved = sorted(int(p.stem.split("_")[1]) for p in tmp_path.glob("epoch_*.pth"))
    assert saved == [5, 7, 9, 10]


def test_checkpoint_save_begin_counts_iterations_too(tmp_path: Path) -> None:
    _run(
        tmp_path,
        dict(interval=3, save_begin=2, by_epoch=False, max_keep_ckpts=-1),
        by_epoch=False,
        max_iters=9,
    )
    saved = sorted(int(p.stem.split("_")[1]) for p in tmp_path.glob("iter_*.pth"))
    assert saved == [2, 5, 8, 9]


def test_runner_built_from_arguments_dumps_its_plain_arguments(tmp_path: Path) -> None:
    runner = Runner(
        model=_Regressor(),
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=_Pairs(), batch_size=2),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.001)),
        randomness=dict(seed=5),
    )
    dumped = Config.fromfile(Path(runner.log_dir) / "config.py")
    assert dumped.train_cfg == dict(by_epoch=True, max_epochs=1)
    assert dumped.optim_wrapper.optimizer.lr == 0.001
    assert dumped.randomness.seed == 5
    assert "model" not in dumped  # an object, not config data
    assert "train_dataloader" not in dumped  # holds a dataset object
