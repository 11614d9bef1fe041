"""log_processor=dict(...) with MMEngine's options reaches the log lines and the scalars."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from runner_core import Runner
from runner_core.logging.log_processor import build_log_processor
from runner_core.registry import LOG_PROCESSORS
from runner_core.runner import LogProcessor  # mmengine.runner


def _runner(tmp_path: Path, **log_processor: Any) -> Runner:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(32, 4, generator=g)
    return Runner(
        model=nn.Linear(4, 2),
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=TensorDataset(x, (x[:, 0] > 0).long()), batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        default_hooks=dict(logger=dict(type="LoggerHook", interval=4, progress_bar=False)),
        log_processor=log_processor,
    )


def _records(runner: Runner) -> list[dict]:
    path = Path(runner.log_dir) / "vis_data" / "scalars.json"
    return [json.loads(line) for line in path.read_text().splitlines()]


def _lines(runner: Runner) -> list[str]:
    log = next(Path(runner.log_dir).glob("*.log"))
    return [line for line in log.read_text().splitlines() if "Epoch(train)" in line]


def test_custom_cfg_values_reach_the_line_and_the_scalars(tmp_path: Path) -> None:
    runner = _runner(
        tmp_path,
        custom_cfg=[
            dict(data_src="loss", method_name="max", window_size="global", log_name="loss_max"),
            dict(data_src="loss", method_name="min", window_size="epoch", log_name="loss_min"),
        ],
    )
    runner.train()
    losses = runner.message_hub.get_scalar("train/loss").data()
    records = _records(runner)
    assert [r["iter"] for r in records] == [4, 8]
    assert records[-1]["loss_max"] == pytest.approx(max(losses[:8]))
    assert records[-1]["loss_min"] == pytest.approx(min(losses[:8]))
    assert records[0]["loss_max"] == pytest.approx(max(losses[:4]))
    assert "loss_max: " in _lines(runner)[-1] and "loss_min: " in _lines(runner)[-1]


def test_custom_cfg_uses_a_registered_statistic_with_its_own_arguments(tmp_path: Path) -> None:
    """MMEngine calls ``buf.statistics(method_name, **the entry's other keys)``: a
    statistic added with ``@HistoryBuffer.register_statistics`` is named in custom_cfg."""
    from runner_core.logging import HistoryBuffer

    @HistoryBuffer.register_statistics
    def scaled_last_for_tests(self: HistoryBuffer, window_size: int, scale: float) -> float:
        return float(self._log_history[-window_size:].mean() * scale)

    try:
        runner = _runner(
            tmp_path,
            custom_cfg=[
                dict(
                    data_src="loss",
                    method_name="scaled_last_for_tests",
                    window_size=2,
                    scale=10.0,
                    log_name="loss_x10",
                )
            ],
        )
        runner.train()
    finally:
        HistoryBuffer._statistics_methods.pop("scaled_last_for_tests", None)
    losses = runner.message_hub.get_scalar("train/loss").data()
    assert _records(runner)[-1]["loss_x10"] == pytest.approx(sum(losses[6:8]) / 2 * 10.0)


def test_custom_cfg_without_log_name_replaces_the_value(tmp_path: Path) -> None:
    runner = _runner(tmp_path, custom_cfg=[dict(data_src="loss", method_name="current")])
    runner.train()
    losses = runner.message_hub.get_scalar("train/loss").data()
    assert _records(runner)[-1]["loss"] == pytest.approx(losses[7])


def test_window_size_and_num_digits(tmp_path: Path) -> None:
    runner = _runner(tmp_path, window_size=2, num_digits=2)
    runner.train()
    losses = runner.message_hub.get_scalar("train/loss").data()
    assert _records(runner)[-1]["loss"] == pytest.approx(sum(losses[6:8]) / 2)
    assert _lines(runner)[-1].endswith(f"loss: {sum(losses[6:8]) / 2:.2f}")


def test_log_with_hierarchy_prefixes_the_scalars(tmp_path: Path) -> None:
    runner = _runner(tmp_path, log_with_hierarchy=True)
    runner.train()
    record = _records(runner)[-1]
    assert "train/loss" in record and "train/lr" in record and "loss" not in record
    assert " loss: " in _lines(runner)[-1]  # the train line keeps the short names


def test_log_with_hierarchy_prefixes_the_validation_line(tmp_path: Path) -> None:
    """MMEngine's val/test lines show ``val/accuracy``, ``val/time`` under hierarchy."""
    from runner_core.evaluator import BaseMetric

    class Count(BaseMetric):
        def process(self, data_batch: Any, data_samples: Any) -> None:
            self.results.append(1)

        def compute_metrics(self, results: list) -> dict:
            return {"seen": float(len(results))}

    x = torch.randn(8, 4)
    runner = Runner(
        model=nn.Linear(4, 2),
        work_dir=str(tmp_path),
        val_dataloader=dict(dataset=TensorDataset(x, (x[:, 0] > 0).long()), batch_size=4),
        val_cfg=dict(),
        val_evaluator=Count(),
        log_processor=dict(log_with_hierarchy=True),
    )
    runner.val()
    log = next(Path(runner.log_dir).glob("*.log")).read_text()
    line = next(line for line in log.splitlines() if "Epoch(val) [0][2/2]" in line)
    assert "val/seen: 2.0000" in line and "val/time: " in line and " seen:" not in line


def test_mmengines_methods_give_the_epoch_form_outside_training(tmp_path: Path) -> None:
    """MMEngine: ``Epoch(val) [0][n/n]`` without a train loop, ``[e]`` after ``train()``,
    and ``with_non_scalar`` puts the other values before the times."""
    x = torch.randn(32, 4, generator=torch.Generator().manual_seed(1))
    data = TensorDataset(x, (x[:, 0] > 0).long())
    runner = Runner(
        model=nn.Linear(4, 2),
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=data, batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        val_dataloader=dict(dataset=TensorDataset(x[:8], (x[:8, 0] > 0).long()), batch_size=4),
        val_cfg=dict(),
        val_evaluator=dict(type="Accuracy"),
    )
    processor = runner.log_processor
    runner.val()
    runner.message_hub.update_info("val/per_class", [1.0, 2.0])
    tag, line = processor.get_log_after_epoch(runner, 2, "val")
    assert line.startswith("Epoch(val) [0][2/2]  accuracy/top1: ")
    assert list(tag) == ["accuracy/top1", "data_time", "time"]
    tag, _ = processor.get_log_after_epoch(runner, 2, "val", with_non_scalar=True)
    assert list(tag) == ["accuracy/top1", "per_class", "data_time", "time"]
    tag, line = processor.get_log_after_iter(runner, 0, "val")
    assert line.startswith("Epoch(val) [0][1/2]  ")
    assert (tag["epoch"], tag["iter"]) == (0, 0)  # MMEngine's: no train loop built yet
    runner.train()
    _, line = processor.get_log_after_epoch(runner, 2, "val")
    assert line.startswith("Epoch(val) [1][2/2]  ")
    tag, _ = processor.get_log_after_iter(runner, 0, "val")
    assert (tag["epoch"], tag["iter"]) == (1, runner.iter + 1)  # where the run is
    tag, _ = processor.get_log_after_iter(runner, 0, "test")
    assert "epoch" not in tag and tag["iter"] == runner.iter + 1
    assert (
        LogProcessor(by_epoch=False)
        .get_log_after_epoch(runner, 2, "val")[1]
        .startswith("Iter(val) [2/2]  ")
    )


def test_the_runner_builds_its_log_processor_from_the_registry(tmp_path: Path) -> None:
    runner = _runner(tmp_path, window_size=3)
    assert isinstance(runner.log_processor, LogProcessor) and runner.log_processor.window_size == 3
    assert LOG_PROCESSORS.get("LogProcessor") is LogProcessor


@pytest.mark.parametrize(
    "cfg, message",
    [
        (dict(custom_cfg=[dict(method_name="mean")]), "needs data_src"),
        (dict(custom_cfg=[dict(data_src="loss", method_name="median")]), "method_name"),
        (dict(custom_cfg=[dict(data_src="loss"), dict(data_src="loss")]), "twice"),
        (dict(by_epoch=False, custom_cfg=[dict(data_src="loss", window_size="epoch")]), "epoch"),
        (dict(window_sise=5), "window_size"),
    ],
)
def test_bad_options_are_value_errors(cfg: dict, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        build_log_processor(cfg)


def test_a_subclass_overriding_mmengines_private_helpers_is_told_they_go_unused() -> None:
    """A processor ported from MMEngine that overrides _get_max_memory or _get_iter had
    no effect here, without a word: this LogProcessor never calls them."""
    import warnings

    with pytest.warns(
        UserWarning,
        match=r"MemProcessor overrides MMEngine's LogProcessor "
        r"helper\(s\) _get_max_memory, _get_iter, which this LogProcessor never "
        r"calls; override get_log_after_iter / get_log_after_epoch instead",
    ):

        class MemProcessor(LogProcessor):
            def _get_max_memory(self, runner):
                return 777

            def _get_iter(self, runner, batch_idx=None):
                return 777

    with warnings.catch_warnings():
        warnings.simplefilter("error")

        class LineProcessor(LogProcessor):  # the public methods: fine
            def get_log_after_iter(self, runner, batch_idx, mode):
                return super().get_log_after_iter(runner, batch_idx, mode)
