"""What a failed Runner leaves behind: no work-dir lock, no data workers.

A notebook keeps the last traceback (``sys.last_traceback``), and with it the
half-built or failed Runner: neither the lock nor the loader's workers may
wait for that Runner to be collected.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import Dataset

from runner_core import Runner
from runner_core.model import ModuleAdapter
from runner_core.runner.work_dir_lock import LOCK_NAME


class BadSample(Dataset):
    def __len__(self) -> int:
        return 16

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if index == 6:
            raise KeyError("bad sample 6")
        return torch.ones(2), torch.ones(1)


def _runner(work_dir: Path, **kwargs) -> Runner:
    return Runner(
        model=ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=BadSample(), batch_size=2, num_workers=2),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        default_hooks=dict(logger=dict(progress_bar=False), checkpoint=None),
        **kwargs,
    )


def test_a_runner_that_fails_to_build_gives_the_work_dir_lock_back(tmp_path: Path) -> None:
    with pytest.raises(KeyError) as caught:
        _runner(tmp_path, custom_hooks=[dict(type="EMAHok")])
    assert caught.value.__traceback__ is not None  # the half-built Runner lives on in it
    assert not (tmp_path / LOCK_NAME).exists()
    _runner(tmp_path)  # so another Runner (or process) may use the work dir


def test_a_run_failed_by_a_worker_stops_its_workers_and_keeps_the_error_text(
    tmp_path: Path,
) -> None:
    before = set(multiprocessing.active_children())
    runner = _runner(tmp_path)
    with pytest.raises(KeyError) as caught:
        runner.train()
    assert str(caught.value) == "'bad sample 6'"  # as without workers, not quoted twice
    # the traceback holds the loader's iterator; its workers are stopped all the same
    assert set(multiprocessing.active_children()) <= before


def test_a_runner_that_fails_to_build_leaves_no_log_file_open(tmp_path) -> None:
    """A notebook re-running a cell with a hook typo kept the newest failed run's log open."""
    import logging

    import torch

    from runner_core import Runner
    from runner_core.errors import RegistryError
    from runner_core.logging.logger import RunLogger

    data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.randint(0, 2, (8,)))
    with pytest.raises(RegistryError, match="EMAHok"):
        Runner(
            model=torch.nn.Linear(2, 2),
            work_dir=str(tmp_path),
            train_dataloader=dict(dataset=data, batch_size=4),
            train_cfg=dict(by_epoch=True, max_epochs=1),
            optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
            custom_hooks=[dict(type="EMAHok")],
        )
    failed = RunLogger.get_current_instance()
    files = [h for h in failed.handlers if isinstance(h, logging.FileHandler)]
    assert files and str(tmp_path) in files[0].baseFilename
    assert all(h.stream is None for h in files)
