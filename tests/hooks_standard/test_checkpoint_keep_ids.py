"""``keep_ckpt_ids`` in the message hub, as MMEngine 0.10.7's CheckpointHook records it.

The values were read from MMEngine runs of the same settings: 3 epochs with
``max_keep_ckpts=2`` leave ``[2, 3]`` in ``runner.message_hub`` and in
``epoch_3.pth``'s message hub; without ``max_keep_ckpts`` there is no key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from checkpoint_runs import make_runner

from runner_core.hooks import Hook
from runner_hooks_standard.checkpoint_files import step_of


class FailSecondSave(Hook):
    saves = 0

    def before_save_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        self.saves += 1
        if self.saves == 2:
            raise OSError("disk full")


def _hub_info(path: Path) -> dict[str, Any]:
    return torch.load(path, weights_only=True)["message_hub"]["runtime_info"]


def test_kept_ids_are_in_the_message_hub_and_each_checkpoint(tmp_path: Path) -> None:
    runner = make_runner(tmp_path, max_epochs=3, interval=1, max_keep_ckpts=2)
    runner.train()
    assert runner.message_hub.get_info("keep_ckpt_ids") == [2, 3]
    assert sorted(p.name for p in tmp_path.glob("epoch_*.pth")) == ["epoch_2.pth", "epoch_3.pth"]
    assert _hub_info(tmp_path / "epoch_3.pth")["keep_ckpt_ids"] == [2, 3]
    assert _hub_info(tmp_path / "epoch_2.pth")["keep_ckpt_ids"] == [1, 2]


def test_no_limit_records_no_ids(tmp_path: Path) -> None:
    runner = make_runner(tmp_path, max_epochs=2, interval=1)
    runner.train()
    assert runner.message_hub.get_info("keep_ckpt_ids") is None
    assert "keep_ckpt_ids" not in _hub_info(tmp_path / "epoch_2.pth")


def test_ids_by_iteration_with_a_template_in_a_subfolder(tmp_path: Path) -> None:
    runner = make_runner(
        tmp_path,
        train_cfg=dict(by_epoch=False, max_iters=6),
        by_epoch=False,
        interval=2,
        max_keep_ckpts=2,
        filename_tmpl="ckpts/it_{:03d}.pth",
    )
    runner.train()
    assert runner.message_hub.get_info("keep_ckpt_ids") == [4, 6]


def test_a_resumed_run_goes_on_with_the_ids(tmp_path: Path) -> None:
    make_runner(tmp_path, max_epochs=2, interval=1, max_keep_ckpts=2).train()
    runner = make_runner(tmp_path, max_epochs=4, interval=1, max_keep_ckpts=2, resume=True)
    runner.train()
    assert runner.message_hub.get_info("keep_ckpt_ids") == [3, 4]
    assert sorted(p.name for p in tmp_path.glob("epoch_*.pth")) == ["epoch_3.pth", "epoch_4.pth"]


def test_a_checkpoint_without_the_ids_gets_them_at_resume(tmp_path: Path) -> None:
    """A checkpoint of an earlier release: the hook's own state names the kept files."""
    make_runner(tmp_path, max_epochs=2, interval=1, max_keep_ckpts=3).train()
    ckpt = torch.load(tmp_path / "epoch_2.pth", weights_only=True)
    del ckpt["message_hub"]["runtime_info"]["keep_ckpt_ids"]
    torch.save(ckpt, tmp_path / "epoch_2.pth")
    runner = make_runner(tmp_path, max_epochs=2, interval=1, max_keep_ckpts=3, resume=True)
    runner.train()  # nothing left to train: resumes, and ends
    assert runner.message_hub.get_info("keep_ckpt_ids") == [1, 2]


def test_a_failed_save_leaves_the_ids_of_the_saves_before(tmp_path: Path) -> None:
    runner = make_runner(
        tmp_path, max_epochs=3, interval=1, max_keep_ckpts=2, custom_hooks=[FailSecondSave()]
    )
    with pytest.raises(OSError, match="disk full"):
        runner.train()
    assert runner.message_hub.get_info("keep_ckpt_ids") == [1]


@pytest.mark.parametrize(
    ("path", "template", "step"),
    [
        ("/w/epoch_12.pth", "epoch_{}.pth", 12),
        ("/w/ckpts/it_007.pth", "ckpts/it_{:03d}.pth", 7),
        ("s3://b/run_3/iter_40.pth", "iter_{}.pth", 40),
        ("/w/best_acc_epoch_2.pth", "epoch_{}.pth", None),
        ("/w/notes.txt", "epoch_{}.pth", None),
    ],
)
def test_step_of_reads_the_number_a_template_wrote(
    path: str, template: str, step: int | None
) -> None:
    assert step_of(path, template) == step
