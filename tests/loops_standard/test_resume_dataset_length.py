"""A mid-epoch checkpoint resumed with a training dataset of another length: the epoch
restarts, and the warning names the checkpoint file actually resumed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.data import Subset, TensorDataset

from runner_core import Runner
from runner_core.hooks import Hook


def _runner(work_dir: Path, size: int, **kwargs: Any) -> Runner:
    """A linear model over ``size`` samples, batches of 4, a checkpoint every 3 iterations."""
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(size, 4, generator=gen), torch.randint(0, 3, (size,), generator=gen)
    return Runner(
        model=torch.nn.Linear(4, 3),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=TensorDataset(x, y),
            batch_size=4,
            sampler=dict(type="DefaultSampler", shuffle=False),
        ),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        default_hooks=dict(
            checkpoint=dict(type="CheckpointHook", interval=3, by_epoch=False, save_last=False),
            logger=None,
        ),
        **kwargs,
    )


@pytest.mark.parametrize("how", ["auto", "path"])
def test_the_restart_warning_names_the_checkpoint_file_resumed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    _runner(tmp_path, 20).train()  # 5 iterations per epoch: the newest, iter_9, is in epoch 2
    newest = tmp_path / "iter_9.pth"
    assert newest.is_file() and not (tmp_path / "iter_10.pth").exists()
    capsys.readouterr()
    if how == "auto":  # the newest checkpoint of the work dir
        runner = _runner(tmp_path, 24, resume=True)
    else:
        runner = _runner(tmp_path / "again", 24, resume=str(newest))
    assert runner.resume_state.resumed_from is None  # nothing loaded yet
    runner.train()
    out = capsys.readouterr().out
    warning = next(line for line in out.splitlines() if "restarts from its first batch" in line)
    assert f"Resuming from {newest}: it was saved in the middle of epoch 2" in warning
    assert "the newest checkpoint of" not in warning
    assert runner.resume_state.resumed_from == str(newest)


def test_a_train_without_a_resume_records_none(tmp_path: Path) -> None:
    """resumed_from is the current train()'s: an earlier call's file does not stay."""
    runner = _runner(tmp_path, 8)
    runner.resume_state.resumed_from = str(tmp_path / "from_an_earlier_train.pth")
    runner.train()
    assert runner.resume_state.resumed_from is None


class SwapToSubset(Hook):
    """mmyolo's YOLOXModeSwitchHook pattern: from epoch 2 on, train on the first 12 of
    the 20 samples with a loader the hook builds in before_train_epoch."""

    def before_train_epoch(self, runner: Any) -> None:
        if runner.epoch >= 1:
            dataset = Subset(runner.train_loop.dataloader.dataset, range(12))
            cfg = dict(
                dataset=dataset, batch_size=4, sampler=dict(type="DefaultSampler", shuffle=False)
            )
            runner.train_loop.dataloader = runner.build_dataloader(cfg, seed=runner.seed)


class StopAt(Hook):
    def __init__(self, iteration: int) -> None:
        self.iteration = iteration

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        if runner.iter == self.iteration:
            raise KeyboardInterrupt


def test_a_loader_a_hook_swaps_at_each_epoch_resumes_mid_epoch_exactly(tmp_path: Path) -> None:
    """The dataset's length was checked before before_train_epoch swapped the loader: the
    resumed epoch 2 restarted (20 samples counted, 12 trained) and trained its batches again."""
    torch.manual_seed(0)  # the same initial weights in both runs
    straight = _runner(tmp_path / "a", 20, custom_hooks=[SwapToSubset()])
    straight.train()
    torch.manual_seed(0)
    stopped = _runner(tmp_path / "b", 20, custom_hooks=[SwapToSubset(), StopAt(7)])
    with pytest.raises(KeyboardInterrupt):
        stopped.train()  # after iteration 7 of 8: iter_6.pth, in epoch 2
    resumed = _runner(tmp_path / "b", 20, custom_hooks=[SwapToSubset()], resume=True)
    resumed.train()
    assert resumed.iter == straight.iter == 8  # 5 + 3 iterations
    for name, value in straight.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[name]), name
