"""LoggerHook lines and records as MMEngine 0.10.7 writes them for the same run."""

from __future__ import annotations

import json
import re
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


def test_custom_cfg_epoch_and_global_windows_reach_beyond_1000_iterations(
    make_runner: Any, read_jsonl: Any
) -> None:
    """A history keeps 1,000 values by default; an 'epoch' or 'global' statistic of a
    longer epoch was taken over its last 1,000 iterations only, under the user's name.
    MMEngine keeps a million: the statistics here cover the whole epoch and run."""
    from runner_core.hooks import Hook

    class RecordLoss(Hook):
        priority = "LOWEST"

        def __init__(self) -> None:
            self.losses: list[float] = []

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
            self.losses.append(float(outputs["loss"]))

    record = RecordLoss()
    runner = make_runner(
        train_dataloader=dict(dataset=tiny_dataset(1200), batch_size=1),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        default_hooks=dict(logger=dict(interval=400)),
        custom_hooks=[record],
        log_processor=dict(
            custom_cfg=[
                dict(data_src="loss", method_name="mean", window_size="epoch", log_name="ep"),
                dict(data_src="loss", method_name="max", window_size="global", log_name="top"),
            ]
        ),
    )
    runner.train()
    records = [r for r in read_jsonl(Path(runner.log_dir) / "vis_data" / "scalars.json")]
    by_step = {r["step"]: r for r in records if "ep" in r}
    losses = record.losses
    assert by_step[1200]["ep"] == pytest.approx(sum(losses[:1200]) / 1200, rel=1e-5)
    assert by_step[2000]["ep"] == pytest.approx(sum(losses[1200:2000]) / 800, rel=1e-5)
    assert by_step[2400]["top"] == pytest.approx(max(losses), rel=1e-5)
    assert max(losses[:1200]) > max(losses[1400:])  # the run's maximum is in its start


def test_a_clipping_norm_comes_before_the_losses_as_in_mmengine(make_runner: Any) -> None:
    """MMEngine's wrapper records grad_norm during the step, before the losses reach the
    hub: its lines read ``grad_norm: ...  loss: ...``, and parsers count on the columns."""
    runner = make_runner(
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1), clip_grad=dict(max_norm=0.5)),
        default_hooks=dict(logger=dict(interval=4)),
    )
    runner.train()
    train = [line for line in _lines(runner) if line.startswith("Epoch(train)")]
    assert train and all(re.search(r"  grad_norm: \S+  loss: \S+$", line) for line in train)


def test_a_long_custom_window_leaves_a_hook_bound_in_before_run_and_the_line_order_alone(
    make_runner: Any,
) -> None:
    """The long windows' histories are reserved when the Runner is built: a history that
    was lengthened in LoggerHook.before_run cut off a hook that had bound its append in
    its own before_run (its values vanished), and put loss before grad_norm."""
    from runner_core.hooks import Hook

    class Foo(Hook):
        def before_run(self, runner) -> None:
            self.record = runner.message_hub.history("train/foo").append

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
            self.record(float(runner.iter + 1))

    runner = make_runner(
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1), clip_grad=dict(max_norm=0.5)),
        default_hooks=dict(logger=dict(interval=4)),
        custom_hooks=[Foo()],
        log_processor=dict(
            custom_cfg=[
                dict(data_src="foo", method_name="max", window_size="global", log_name="top"),
                dict(data_src="loss", method_name="min", window_size="global", log_name="low"),
            ]
        ),
    )
    runner.train()
    last = [line for line in _lines(runner) if line.startswith("Epoch(train)")][-1]
    assert "  top: 16.0000" in last and "  foo: " in last
    # the hub's order (foo's history was made in before_run), then custom_cfg's statistics
    assert re.search(r"  foo: \S+  grad_norm: \S+  loss: \S+  top: \S+  low: \S+$", last)


def test_a_log_processor_set_after_the_runner_was_built_gets_its_long_windows(
    make_runner: Any,
) -> None:
    from runner_core.logging.log_processor import LogProcessor

    runner = make_runner(
        train_dataloader=dict(dataset=tiny_dataset(1200), batch_size=1),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        default_hooks=dict(logger=dict(interval=600)),
    )
    runner.log_processor = LogProcessor(
        custom_cfg=[dict(data_src="loss", method_name="mean", window_size="global")]
    )
    runner.train()
    assert len(runner.message_hub.get_scalar("train/loss")) == 1200


def test_a_scalar_a_hook_records_per_validation_batch_is_logged_as_the_pass_mean(
    make_runner: Any, read_jsonl: Any
) -> None:
    """The usual validation-loss hook (update_scalar('val/my_loss', ...) per batch) was
    logged as the last batch's value; MMEngine logs the mean of its last window_size
    values, which mixes in the previous pass once a pass is shorter. Here: the pass."""
    from runner_core.hooks import Hook

    class ValLoss(Hook):
        priority = "HIGH"  # before LoggerHook's turn

        def __init__(self) -> None:
            self.passes = 0

        def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
            runner.message_hub.update_scalar("val/my_loss", 10.0 * self.passes + batch_idx)

        def after_val_epoch(self, runner, metrics=None) -> None:
            runner.message_hub.update_scalar("val/per_pass", 100.0 + self.passes)
            self.passes += 1

    runner = make_runner(val=True, custom_hooks=[ValLoss()])  # 4 validation batches, 2 epochs
    runner.train()
    records = [r for r in read_jsonl(Path(runner.log_dir) / "vis_data" / "scalars.json")]
    val = [r for r in records if "accuracy/top1" in r]
    assert [r["my_loss"] for r in val] == [1.5, 11.5]  # 0..3, then 10..13
    assert [r["per_pass"] for r in val] == [100.0, 101.0]  # once a pass: its value
    closing = [line for line in _lines(runner) if "accuracy/top1" in line]
    assert "my_loss: 11.5000" in closing[-1]


def test_mmengines_storage_attributes_are_there_for_subclasses_to_read() -> None:
    """A LoggerHook subclass ported from MMEngine reads self.file_client_args (None)."""
    from runner_hooks_standard.logger import LoggerHook

    hook = LoggerHook()
    assert hook.file_client_args is None and hook.backend_args is None


def test_a_format_only_metric_still_gets_its_time_records_as_in_mmengine(
    make_runner: Any, read_jsonl: Any
) -> None:
    """A metric that only writes files returns {}: the pass's data_time and time still go
    to the test file, the run's json and scalars.json, as MMEngine writes them."""
    from runner_core.evaluator import BaseMetric

    class FormatOnly(BaseMetric):
        def process(self, data_batch: Any, data_samples: Any) -> None:
            self.results.append(1)

        def compute_metrics(self, results: list) -> dict:
            return {}

    loader = dict(dataset=tiny_dataset(16, seed=1), batch_size=8)
    runner = make_runner(
        val_dataloader=loader,
        val_evaluator=FormatOnly(),
        test_dataloader=loader,
        test_evaluator=FormatOnly(),
    )
    assert runner.test() == {} and runner.val() == {}
    run = Path(runner.log_dir)
    test_record = json.loads((run / f"{runner.timestamp}.json").read_text())
    assert sorted(test_record) == ["data_time", "time"]
    val_records = read_jsonl(run / "vis_data" / f"{runner.timestamp}.json")
    assert [sorted(r) for r in val_records] == [["data_time", "step", "time"]]
    scalars = read_jsonl(run / "vis_data" / "scalars.json")
    assert [sorted(r) for r in scalars] == [
        ["step", "test/data_time", "test/time"],
        ["data_time", "step", "time"],
    ]
