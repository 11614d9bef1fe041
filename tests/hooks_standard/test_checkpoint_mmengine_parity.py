"""CheckpointHook's log lines and best-file choice, compared with MMEngine 0.10.7's.

The lines are MMEngine's word for word (tools and users grep logs for
``The best checkpoint with``); the expected texts were read from MMEngine
runs of the same settings.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from checkpoint_runs import make_runner

from runner_core import Runner


def info_lines(runner: Runner) -> list[str]:
    """Collect the run's INFO lines (the helper runs log warnings only)."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    runner.logger.setLevel(logging.INFO)
    runner.logger.addHandler(Keep(logging.INFO))
    return lines


def test_best_checkpoint_lines_are_mmengine_s(tmp_path: Path) -> None:
    runner = make_runner(
        tmp_path, max_epochs=3, scores=[0.5, 0.7, 0.6], interval=1, save_best="acc"
    )
    lines = info_lines(runner)
    runner.train()
    work = Path(runner.work_dir).absolute()
    wanted = [
        f"Checkpoints will be saved to {work}.",
        "The best checkpoint with 0.5000 acc at 1 epoch is saved to best_acc_epoch_1.pth.",
        f"The previous best checkpoint {work / 'best_acc_epoch_1.pth'} is removed",
        "The best checkpoint with 0.7000 acc at 2 epoch is saved to best_acc_epoch_2.pth.",
    ]
    assert [line for line in lines if line in wanted] == wanted
    assert sorted(p.name for p in work.glob("best_*.pth")) == ["best_acc_epoch_2.pth"]


def test_best_checkpoint_line_by_iteration(tmp_path: Path) -> None:
    runner = make_runner(
        tmp_path,
        scores=[1.0, 2.0],
        train_cfg=dict(by_epoch=False, max_iters=4, val_interval=2),
        interval=2,
        by_epoch=False,
        save_best="acc",
        rule="greater",
    )
    lines = info_lines(runner)
    runner.train()
    assert "The best checkpoint with 2.0000 acc at 4 iter is saved to best_acc_iter_4.pth." in lines


def test_a_none_score_is_skipped_as_in_mmengine(tmp_path: Path) -> None:
    """A metric that had nothing to score (None) saves no best file, and no error."""
    scores: list[Any] = [None, 0.4, None]
    runner = make_runner(tmp_path, max_epochs=3, scores=scores, interval=1, save_best="acc")
    runner.train()
    work = Path(runner.work_dir)
    assert sorted(p.name for p in work.glob("best_*.pth")) == ["best_acc_epoch_2.pth"]


def test_resume_into_another_work_dir_does_not_repeat_a_recorded_validation(
    tmp_path: Path,
) -> None:
    """``load_from=<other run>/epoch_2.pth, resume=True``: that run recorded the validation
    of epoch 2 next to its checkpoint, so it is not run again (MMEngine never repeats it)."""
    first = make_runner(tmp_path / "a", max_epochs=2, scores=[0.5, 0.5], interval=1)
    first.train()
    checkpoint = Path(first.work_dir) / "epoch_2.pth"
    second = make_runner(
        tmp_path / "b",
        max_epochs=3,
        scores=[0.5],
        interval=1,
        resume=str(checkpoint),  # type: ignore[arg-type]
    )
    lines = info_lines(second)
    second.train()  # a repeated validation would ask the scripted metric for a second score
    assert not [line for line in lines if "validating it now" in line]
    assert second.iter == 6


@pytest.mark.parametrize("rank0_recorded", [True, False])
def test_rank_zeros_record_decides_the_missed_validation_for_every_rank(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rank0_recorded: bool
) -> None:
    """With several ranks, a rank that cannot see the record (per-node storage, a copied
    checkpoint) must not validate alone: its collectives would wait for the others forever."""
    import runner_core.distributed as dist

    first = make_runner(tmp_path / "a", max_epochs=2, scores=[0.5, 0.5], interval=1)
    first.train()
    checkpoint = Path(first.work_dir) / "epoch_2.pth"
    copied = tmp_path / "copied" / "epoch_2.pth"  # the checkpoint alone, without its record
    copied.parent.mkdir()
    copied.write_bytes(checkpoint.read_bytes())
    asked: list[bool] = []

    def rank0_says(obj: object, src: int = 0, group: object = None) -> object:
        asked.append(bool(obj))
        # the first broadcast is the record's; later ones (re-save decisions) as this rank's
        return rank0_recorded if len(asked) == 1 else obj

    monkeypatch.setattr(dist, "get_world_size", lambda group=None: 2)
    monkeypatch.setattr(dist, "broadcast_object", rank0_says)
    scores = [0.5, 0.5] if not rank0_recorded else [0.5]  # a validation asks for one more
    second = make_runner(
        tmp_path / "b", max_epochs=3, scores=scores, interval=1, resume=str(copied)
    )  # type: ignore[arg-type]
    lines = info_lines(second)
    second.train()
    assert asked[0] is False  # this rank could not see the record
    assert bool([line for line in lines if "validating it now" in line]) is not rank0_recorded
