"""LoggerHook lines and records as MMEngine 0.10.7 writes them for the same run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import tiny_dataset


def _lines(runner: Any) -> list[str]:
    text = (Path(runner.log_dir) / f"{runner.timestamp}.log").read_text()
    return [line.split(" - INFO - ", 1)[1] for line in text.splitlines() if " - INFO - " in line]


def test_the_epoch_is_right_aligned_to_max_epochs_as_in_mmengine(make_runner: Any) -> None:
    """MMEngine pads ``[e]`` to the width of ``max_epochs`` on the training and the
    per-iteration validation lines (not on the closing validation line)."""
    runner = make_runner(
        val=True,
        train_dataloader=dict(dataset=tiny_dataset(16), batch_size=8),
        train_cfg=dict(by_epoch=True, max_epochs=10, val_interval=5),
        default_hooks=dict(logger=dict(interval=2)),
    )
    runner.train()
    train = [line.split("  l")[0] for line in _lines(runner) if line.startswith("Epoch(train)")]
    assert train[0] == "Epoch(train)  [1][2/2]"
    assert train[-1] == "Epoch(train) [10][2/2]"
    val = [line.split("  eta")[0] for line in _lines(runner) if line.startswith("Epoch(val)")]
    assert val[0] == "Epoch(val)  [5][2/4]"  # a progress line: aligned
    closing = [line.split("  acc")[0] for line in _lines(runner) if "accuracy/top1" in line]
    assert closing == ["Epoch(val) [5][4/4]", "Epoch(val) [10][4/4]"]  # not aligned
    assert "Epoch(val) [10][2/4]" in val


def test_custom_cfg_applies_to_validation_metrics_as_in_mmengine(
    make_runner: Any, read_jsonl: Any
) -> None:
    """``custom_cfg=[dict(data_src='accuracy/top1', method_name='max', window_size='global',
    log_name='acc_max')]`` shows the best accuracy so far on each validation line and record."""
    runner = make_runner(
        val=True,
        train_cfg=dict(by_epoch=True, max_epochs=3),
        log_processor=dict(
            custom_cfg=[
                dict(
                    data_src="accuracy/top1",
                    method_name="max",
                    window_size="global",
                    log_name="acc_max",
                )
            ]
        ),
    )
    runner.train()
    records = [
        r
        for r in read_jsonl(Path(runner.log_dir) / "vis_data" / "scalars.json")
        if "accuracy/top1" in r
    ]
    accuracies = [r["accuracy/top1"] for r in records]
    assert [list(r) for r in records] == [
        ["accuracy/top1", "acc_max", "data_time", "time", "step"]
    ] * 3
    assert [r["acc_max"] for r in records] == pytest.approx(
        [max(accuracies[: i + 1]) for i in range(3)]
    )
    closing = [line for line in _lines(runner) if "accuracy/top1" in line]
    assert all(
        f"acc_max: {r['acc_max']:.4f}  data_time: " in line
        for r, line in zip(records, closing, strict=True)
    )
