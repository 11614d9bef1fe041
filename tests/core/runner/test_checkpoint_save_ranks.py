"""Which ranks take part in a checkpoint save, and which run ``before_save_checkpoint``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import Dataset

from runner_core import Runner
from runner_core.checkpoint import load_checkpoint
from runner_core.checkpoint.save_options import checkpoint_save_options
from runner_core.hooks import Hook
from runner_core.model import BaseModel


class Data(Dataset):
    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        x = torch.full((2,), float(i))
        return {"inputs": x, "labels": x.sum(0, keepdim=True)}


class Net(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 1)

    def forward(self, inputs: Any, labels: Any = None, mode: str = "tensor") -> Any:
        out = self.fc(inputs)
        return {"loss": ((out - labels) ** 2).mean()} if mode == "loss" else out


class Export(Hook):
    """An MMEngine-era hook that edits the checkpoint and assumes it runs once per save."""

    def __init__(self) -> None:
        self.calls: list[int] = []  # the rank of each before_save_checkpoint call
        self.states_taken = 0

    def state_dict(self) -> dict[str, Any]:
        self.states_taken += 1  # the state is gathered on every rank
        return {"seen": 1}

    def before_save_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        self.calls.append(runner.rank)
        checkpoint["meta"]["exported"] = True


def test_before_save_checkpoint_runs_on_rank_0_only(tmp_path: Path) -> None:
    # MMEngine's Runner.save_checkpoint is @master_only: its hooks never run on other ranks
    hook = Export()
    runner = Runner(
        model=Net(),
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=Data(), batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        default_hooks=dict(logger=dict(interval=1, progress_bar=False), checkpoint=None),
        custom_hooks=[hook],
    )
    runner.train()
    runner.rank = 1  # another process of a multi-process run
    assert runner.save_checkpoint(tmp_path, "other.pth") is None
    assert hook.calls == [] and hook.states_taken == 0  # a plain call: MMEngine's master-only
    with checkpoint_save_options(every_rank=True):  # as the checkpoint hook saves
        assert runner.save_checkpoint(tmp_path, "other.pth") is None
    assert hook.calls == [] and hook.states_taken == 1  # state built, hook not run
    assert not (tmp_path / "other.pth").exists()
    runner.rank = 0
    saved = runner.save_checkpoint(tmp_path, "main.pth")
    assert hook.calls == [0]
    assert load_checkpoint(saved)["meta"]["exported"] is True


def test_a_save_called_on_rank_0_alone_gathers_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hook saving under ``if runner.rank == 0`` (valid with MMEngine's master-only save)
    hung the job: the save gathered every rank's random streams, a collective the other
    ranks never joined. Saves made on every rank still gather them."""
    import runner_core.distributed.utils as dist_utils

    gathered: list[Any] = []
    monkeypatch.setattr(dist_utils, "all_gather_object", lambda obj: gathered.append(obj) or [obj])
    runner = Runner(model=Net(), work_dir=str(tmp_path))
    runner.distributed = True  # a rank of a two-process run, alone here
    plain = load_checkpoint(runner.save_checkpoint(tmp_path, "plain.pth"))
    assert gathered == [] and "per_rank" not in plain
    with checkpoint_save_options(every_rank=True):
        hooked = load_checkpoint(runner.save_checkpoint(tmp_path, "hooked.pth"))
    assert len(gathered) == 1 and len(hooked["per_rank"]) == 1
    # a checkpoint to resume from (it moves the pointer) is made on every rank
    resumable = load_checkpoint(runner.save_checkpoint(tmp_path, "r.pth", update_pointer=True))
    assert len(gathered) == 2 and len(resumable["per_rank"]) == 1


class _OnDevice:
    """Stands for a GPU tensor a hook puts in ``state_dict`` (an EMAHook's live average)."""

    is_cpu = False

    def cpu(self) -> torch.Tensor:
        return torch.full((2,), 7.0)


class _PutsDeviceWeights(Hook):
    def before_save_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        checkpoint["state_dict"]["averaged"] = _OnDevice()


def test_a_synchronous_save_puts_device_weights_a_hook_added_on_the_cpu(tmp_path: Path) -> None:
    # the file's weights load on a machine without the device, as the model's own do
    runner = Runner(
        model=nn.Linear(2, 1), work_dir=str(tmp_path), custom_hooks=[_PutsDeviceWeights()]
    )
    runner.save_checkpoint(str(tmp_path), "a.pth", save_optimizer=False)
    weights = load_checkpoint(tmp_path / "a.pth")["state_dict"]
    assert weights["averaged"].tolist() == [7.0, 7.0]
    assert sorted(weights) == ["averaged", "module.bias", "module.weight"]  # ModuleAdapter
