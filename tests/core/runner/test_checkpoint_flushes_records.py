"""A checkpoint never covers scalar records that are not on disk yet.

A run killed after a save resumes after that save's iteration and never logs
the iterations before it again, so their records must already be in
``scalars.json`` when the checkpoint is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from digits import digits_cfg

from runner_core import Config, Runner
from runner_core.hooks import Hook, Priority


class ReadRecordsAfterSave(Hook):
    """After each epoch's checkpoint, the newest step in ``scalars.json`` as read from disk."""

    priority = Priority.LOWEST  # after CheckpointHook (VERY_LOW) has saved

    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []  # (iterations done, newest step on disk)

    def after_train_epoch(self, runner: Any) -> None:
        path = Path(runner.log_dir) / "vis_data" / "scalars.json"
        steps = [json.loads(line)["step"] for line in path.read_text().splitlines()]
        self.seen.append((runner.iter, max(steps)))


def test_records_are_on_disk_when_checkpoint_is_saved(tmp_path) -> None:
    cfg = digits_cfg(
        str(tmp_path),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        val_dataloader=None,
        val_evaluator=None,
        default_hooks=dict(logger=dict(interval=1)),
    )
    cfg["train_dataloader"]["batch_size"] = 480  # 3 iterations per epoch, well within a second
    runner = Runner.from_cfg(Config(cfg))
    reader = ReadRecordsAfterSave()
    runner.register_hook(reader)
    runner.train()
    assert (tmp_path / "epoch_1.pth").is_file()
    assert reader.seen == [(3, 3), (6, 6)]
