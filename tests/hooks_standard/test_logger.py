"""LoggerHook: the lines people read, and the JSON records plotting scripts read."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch

from runner_core.errors import ConfigError
from runner_core.evaluator import BaseMetric
from runner_hooks_standard.logger import LoggerHook


def log_lines(runner: Any) -> list[str]:
    text = (Path(runner.log_dir) / f"{runner.timestamp}.log").read_text()
    return [line.split(" - INFO - ", 1)[1] for line in text.splitlines() if " - INFO - " in line]


def scalars(runner: Any, read_jsonl: Any) -> list[dict]:
    return read_jsonl(Path(runner.log_dir) / "vis_data" / "scalars.json")


def test_epoch_run_lines_and_records(make_runner: Any, read_jsonl: Any) -> None:
    runner = make_runner(val=True, default_hooks=dict(logger=dict(interval=3)))
    runner.train()
    train = [line for line in log_lines(runner) if line.startswith("Epoch(train)")]
    # 8 iterations per epoch: 3 and 6 are logged; the last, shorter window is ignored
    assert [line.split("  ")[0] for line in train] == [
        "Epoch(train) [1][3/8]",
        "Epoch(train) [1][6/8]",
        "Epoch(train) [2][3/8]",
        "Epoch(train) [2][6/8]",
    ]
    pattern = (
        r"lr: 1\.0000e-01  eta: \d+:\d\d:\d\d  time: \d+\.\d{4}  data_time: \d+\.\d{4}  "
        r"memory: \d+  loss: \d+\.\d{4}$"
    )
    assert all(re.search(pattern, line) for line in train), train
    val = [line.split("  ")[0:2] for line in log_lines(runner) if line.startswith("Epoch(val)")]
    # every `interval` validation iterations a progress line, then the metrics
    assert [v[0] for v in val] == ["Epoch(val) [1][3/4]", "Epoch(val) [1][4/4]"] * 1 + [
        "Epoch(val) [2][3/4]",
        "Epoch(val) [2][4/4]",
    ]
    # MMEngine's order: progress lines eta, time, data_time; the closing line metrics first
    assert [v[1].split(":")[0] for v in val] == ["eta", "accuracy/top1"] * 2
    progress = [line for line in log_lines(runner) if line.startswith("Epoch(val) [1][3/4]")]
    assert re.search(r"eta: 0:00:00  time: \d+\.\d{4}  data_time: \d+\.\d{4}  memory", progress[0])

    records = scalars(runner, read_jsonl)
    train_records = [r for r in records if "loss" in r]
    assert [r["step"] for r in train_records] == [3, 6, 11, 14]
    assert [(r["epoch"], r["iter"]) for r in train_records] == [(1, 3), (1, 6), (2, 11), (2, 14)]
    assert all(r["lr"] == pytest.approx(0.1) and r["memory"] > 0 for r in train_records)
    val_records = [r for r in records if "accuracy/top1" in r]
    # MMEngine's validation record: the metrics and the pass's times at the epoch, no counters
    # (mmaction2's analyze_logs groups records by `epoch`: a validation one would join training)
    assert [r["step"] for r in val_records] == [1, 2]
    assert all(set(r) == {"accuracy/top1", "data_time", "time", "step"} for r in val_records)
    # the logged loss is the mean of the last 10 (window) losses at that iteration
    losses = runner.message_hub.get_scalar("train/loss").data()
    assert train_records[-1]["loss"] == pytest.approx(sum(losses[4:14]) / 10)


@pytest.mark.skipif(
    torch.cuda.is_available(), reason="the Runner trains on the GPU here: memory is CUDA's peak"
)
def test_memory_on_the_cpu_is_the_process_peak_rss_in_mb(make_runner: Any, read_jsonl: Any) -> None:
    """What ``ps`` and RUSAGE_SELF call the peak RSS, whichever call the hook uses to read it."""
    import resource
    import sys

    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // scale
    runner = make_runner(default_hooks=dict(logger=dict(interval=3)))
    runner.train()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // scale
    memories = [r["memory"] for r in scalars(runner, read_jsonl) if "loss" in r]
    assert memories and all(before <= m <= after for m in memories), (before, memories, after)


@pytest.mark.skipif(
    torch.cuda.is_available(), reason="the Runner trains on the GPU here: memory is CUDA's peak"
)
def test_without_the_resource_module_lines_leave_memory_out(
    make_runner: Any, read_jsonl: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows has no ``resource``: the first log line of every CPU run raised ImportError.
    Lines leave the field out there, as MMEngine's CPU lines do."""
    import sys

    from runner_core.logging import log_processor

    monkeypatch.setitem(sys.modules, "resource", None)  # import resource: ImportError
    monkeypatch.setattr(log_processor, "_NO_RESOURCE", [])  # what it learns is undone after
    runner = make_runner(default_hooks=dict(logger=dict(interval=3)))
    runner.train()
    records = [r for r in scalars(runner, read_jsonl) if "loss" in r]
    assert records and not any("memory" in r for r in records)
    log = (Path(runner.log_dir) / f"{runner.timestamp}.log").read_text()
    assert "Epoch(train) [2][6/8]" in log and "memory" not in log


def test_memory_on_a_gpu_is_the_peak_cuda_allocation_since_the_last_line_in_mb(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As MMEngine: ``torch.cuda.max_memory_allocated`` in whole MB, then the peak is reset,
    so each line shows the peak of its own window (pinned here without a GPU)."""
    from runner_core.logging.log_processor import memory_mb

    device = torch.device("cuda", 0)
    peaks = iter([65 * 1024 * 1024 + 123, 3 * 1024 * 1024 - 1])
    calls: list[tuple[str, Any]] = []

    def peak(where: Any = None) -> int:
        calls.append(("peak", where))
        return next(peaks)

    monkeypatch.setattr(torch.cuda, "max_memory_allocated", peak)
    monkeypatch.setattr(
        torch.cuda, "reset_peak_memory_stats", lambda d=None: calls.append(("reset", d))
    )
    runner = SimpleNamespace(device=device)
    assert [memory_mb(runner), memory_mb(runner)] == [65, 2]
    assert calls == [("peak", device), ("reset", device)] * 2


def test_ignore_last_false_logs_the_end_of_each_epoch(make_runner: Any) -> None:
    runner = make_runner(default_hooks=dict(logger=dict(interval=3, ignore_last=False)))
    runner.train()
    heads = [line.split("  ")[0] for line in log_lines(runner) if "(train)" in line]
    assert heads == [f"Epoch(train) [{e}][{i}/8]" for e in (1, 2) for i in (3, 6, 8)]


def test_an_epoch_shorter_than_the_interval_is_still_logged(make_runner: Any) -> None:
    runner = make_runner(default_hooks=dict(logger=dict(interval=50)))
    runner.train()
    heads = [line.split("  ")[0] for line in log_lines(runner) if "(train)" in line]
    assert heads == ["Epoch(train) [1][8/8]", "Epoch(train) [2][8/8]"]


def test_an_epoch_run_shown_by_iteration_logs_by_the_batch_of_the_epoch(
    make_runner: Any,
) -> None:
    # as MMEngine: log_processor.by_epoch=False changes how the position is shown, not when
    # a line is written (every `interval` batches of each epoch, counted from its start)
    runner = make_runner(
        default_hooks=dict(logger=dict(interval=3)), log_processor=dict(by_epoch=False)
    )
    runner.train()
    heads = [line.split("  ")[0] for line in log_lines(runner) if "(train)" in line]
    assert heads == [f"Iter(train) [{i:2}/16]" for i in (3, 6, 11, 14)]


@pytest.mark.parametrize("log_processor", [{}, dict(by_epoch=True)])
def test_iteration_based_lines_and_val_records(
    make_runner: Any, read_jsonl: Any, log_processor: dict[str, Any]
) -> None:
    """log_processor.by_epoch=True (mmdet's default_runtime.py) in an iteration-based run
    counted past the one epoch ("Epoch(train) [1][10/8]") and put every validation at
    step 0 in MMEngine; here it counts iterations, with a warning."""
    runner = make_runner(
        val=True,
        train_cfg=dict(by_epoch=False, max_iters=12, val_interval=6),
        default_hooks=dict(logger=dict(interval=4)),
        log_processor=log_processor,
    )
    runner.train()
    text = (Path(runner.log_dir) / f"{runner.timestamp}.log").read_text()
    assert text.count("WARNING - log_processor.by_epoch=True") == (1 if log_processor else 0)
    # MMEngine's processor method, as a custom LogProcessor calls it: the same counting
    _, line = runner.log_processor.get_log_after_iter(runner, 3, "train")
    assert line.startswith("Iter(train) [13/12]"), line  # after the run: iter + 1
    heads = [line.split("  ")[0] for line in log_lines(runner) if "(train)" in line]
    assert heads == ["Iter(train) [ 4/12]", "Iter(train) [ 8/12]", "Iter(train) [12/12]"]
    vals = [line.split("  ")[0] for line in log_lines(runner) if "accuracy" in line]
    assert vals == ["Iter(val) [4/4]", "Iter(val) [4/4]"]
    val_records = [r for r in scalars(runner, read_jsonl) if "accuracy/top1" in r]
    # MMEngine#683: validation curves of iteration runs are plotted against the iteration
    assert [r["step"] for r in val_records] == [6, 12]
    assert all(set(r) == {"accuracy/top1", "data_time", "time", "step"} for r in val_records)
    runner.val()  # after an iteration-based train(): still Iter(val), at the iteration
    assert [line.split("  ")[0] for line in log_lines(runner) if "accuracy" in line][-1] == (
        "Iter(val) [4/4]"
    )
    assert scalars(runner, read_jsonl)[-1]["step"] == 12


def test_a_run_shorter_than_the_interval_is_still_logged(make_runner: Any) -> None:
    runner = make_runner(
        train_cfg=dict(by_epoch=False, max_iters=5), default_hooks=dict(logger=dict(interval=10))
    )
    runner.train()
    heads = [line.split("  ")[0] for line in log_lines(runner) if "(train)" in line]
    assert heads == ["Iter(train) [5/5]"]  # MMEngine#935: no log at all


def test_experiment_name_is_logged_every_interval_exp_name(make_runner: Any) -> None:
    runner = make_runner(
        experiment_name="exp42",
        default_hooks=dict(logger=dict(interval=2, interval_exp_name=6)),
    )
    runner.train()
    lines = log_lines(runner)
    positions = [i for i, line in enumerate(lines) if line == "Exp name: exp42"]
    # at the start, then at the first logged line at or after iterations 6 and 12
    assert len(positions) == 3
    assert lines[positions[1] - 1].startswith("Epoch(train) [1][6/8]")
    assert lines[positions[2] - 1].startswith("Epoch(train) [2][4/8]")


def test_window_size_smooths_the_logged_loss(fake_runner: Any) -> None:
    runner = fake_runner()
    runner.train_loop.dataloader = list(range(20))
    hub = runner.message_hub
    for i in range(20):
        hub.update_scalar("train/loss", torch.tensor(float(i + 1)))
        hub.update_scalar("train/time", 0.5)
        hub.update_scalar("train/data_time", 0.1)
        hub.update_scalar("train/lr", 0.01)
    hook = LoggerHook(interval=10, window_size=4, progress_bar=False)
    hook.before_run(runner)
    hook.before_train(runner)
    hook.before_train_epoch(runner)
    runner.train_loop.iter = 19
    lines: list[str] = []
    runner.logger.info = lambda msg, *a: lines.append(msg % a if a else msg)
    hook.after_train_iter(runner, batch_idx=19)
    assert lines[-1].startswith("Epoch(train) [1][20/20]  lr: 1.0000e-02")
    assert "time: 0.5000  data_time: 0.1000" in lines[-1]
    assert lines[-1].endswith("loss: 18.5000")  # mean of 17, 18, 19, 20


class Untouchable:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a non-logging iteration read message_hub.{name}")


def test_non_logging_iterations_do_no_work(fake_runner: Any) -> None:
    runner = fake_runner()
    hook = LoggerHook(interval=10, progress_bar=False)
    hook.before_run(runner)
    hook.before_train(runner)
    hook.before_train_epoch(runner)
    runner.message_hub = Untouchable()
    for batch_idx in range(8):  # batches 1..8 of 10: none is a logging iteration
        hook.after_train_iter(runner, batch_idx=batch_idx)


@pytest.mark.parametrize("kwargs", [dict(interval=0), dict(interval="10")])
def test_bad_arguments_are_config_errors(kwargs: dict) -> None:
    with pytest.raises(ConfigError, match="LoggerHook"):
        LoggerHook(**kwargs)


def test_keep_local_without_out_dir_is_accepted_with_a_warning() -> None:
    """A ported MMEngine config with keep_local=False alone trains there; it did not here."""
    with pytest.warns(UserWarning, match="keep_local=False has no effect without out_dir"):
        hook = LoggerHook(keep_local=False)
    assert hook.out_dir is None


def test_out_dir_receives_the_log_files(make_runner: Any, tmp_path: Path) -> None:
    out = tmp_path / "remote"
    runner = make_runner(default_hooks=dict(logger=dict(interval=4, out_dir=str(out))))
    runner.train()
    copied = out / Path(runner.work_dir).name / Path(runner.log_dir).name
    assert (copied / f"{runner.timestamp}.log").read_text().count("Epoch(train)") == 4
    assert (copied / "vis_data" / "scalars.json").is_file()


def test_standalone_test_run_logs_metrics(make_runner: Any, read_jsonl: Any) -> None:
    runner = make_runner(
        train_dataloader=None,
        train_cfg=None,
        optim_wrapper=None,
        test_dataloader=dict(dataset=torch.utils.data.TensorDataset(*_data()), batch_size=8),
        test_evaluator=dict(type="Accuracy"),
    )
    metrics = runner.test()
    lines = [line for line in log_lines(runner) if line.startswith("Epoch(test)")]
    assert len(lines) == 1
    assert lines[0].startswith(f"Epoch(test) [4/4]  accuracy/top1: {metrics['accuracy/top1']:.4f}")
    records = scalars(runner, read_jsonl)
    assert records[-1]["test/accuracy/top1"] == pytest.approx(metrics["accuracy/top1"])
    assert records[-1]["step"] == 0 and "iter" not in records[-1]


def test_val_outside_training_is_logged_at_the_runners_epoch(
    make_runner: Any, read_jsonl: Any
) -> None:
    """MMEngine: ``Epoch(val) [0][n/n]`` (step 0) before any training, ``[2]`` (step 2) after
    a 2-epoch train(): the epoch, not the iteration, and no epoch/iter keys in the record."""
    runner = make_runner(val=True, default_hooks=dict(logger=dict(interval=3)))
    runner.val()
    runner.train()
    runner.val()
    closing = [line.split("  ")[0] for line in log_lines(runner) if "accuracy/top1" in line]
    progress = [line.split("  ")[0] for line in log_lines(runner) if "Epoch(val)" in line]
    assert closing == ["Epoch(val) [0][4/4]", "Epoch(val) [1][4/4]", "Epoch(val) [2][4/4]"] + [
        "Epoch(val) [2][4/4]"
    ]
    assert progress[0] == "Epoch(val) [0][3/4]"
    records = [r for r in scalars(runner, read_jsonl) if "accuracy/top1" in r]
    assert [r["step"] for r in records] == [0, 1, 2, 2]
    assert all(set(r) == {"accuracy/top1", "data_time", "time", "step"} for r in records)


class PerClass(BaseMetric):
    """A metric like mmpretrain's ``average=None`` ones: per-class lists and tensors."""

    default_prefix = "single-label"

    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.append(1)

    def compute_metrics(self, results: list) -> dict:
        return {
            "recall": [100.0, 5.5],
            "precision": torch.tensor([50.0, 25.0]),
            "names": ("neg", "pos"),
            "accuracy": float(len(results)),
        }


@pytest.mark.parametrize("custom_processor", [False, True])
def test_the_test_json_keeps_non_scalar_metrics_as_mmengine_dumps_them(
    make_runner: Any, read_jsonl: Any, custom_processor: bool
) -> None:
    extra: dict[str, Any] = {}
    if custom_processor:  # MMEngine calls get_log_after_epoch(..., with_non_scalar=True)
        from runner_core.logging.log_processor import LogProcessor
        from runner_core.registry import LOG_PROCESSORS

        @LOG_PROCESSORS.register_module(force=True)
        class EpochOverridingLogProcessorForTests(LogProcessor):
            def get_log_after_epoch(
                self, runner: Any, batch_idx: int, mode: str, with_non_scalar: bool = False
            ) -> tuple[dict, str]:
                return super().get_log_after_epoch(runner, batch_idx, mode, with_non_scalar)

        extra["log_processor"] = dict(type="EpochOverridingLogProcessorForTests")
    runner = make_runner(
        train_dataloader=None,
        train_cfg=None,
        optim_wrapper=None,
        test_dataloader=dict(dataset=_test_data(), batch_size=8),
        test_evaluator=PerClass(),
        **extra,
    )
    runner.test()
    test = json.loads((Path(runner.log_dir) / f"{runner.timestamp}.json").read_text())
    assert list(test) == [
        "single-label/accuracy",
        "single-label/recall",
        "single-label/precision",
        "single-label/names",
        "data_time",
        "time",
    ]
    assert test["single-label/accuracy"] == 2.0
    assert test["single-label/recall"] == [100.0, 5.5]
    assert test["single-label/precision"] == [50.0, 25.0]
    assert test["single-label/names"] == ["neg", "pos"]
    # the visualizer gets the numbers (MMEngine sends it no test record at all)
    assert set(scalars(runner, read_jsonl)[-1]) == {
        "test/single-label/accuracy",
        "test/data_time",
        "test/time",
        "step",
    }


class Verdict(BaseMetric):
    """A metric with a bool value, e.g. a pass/fail check."""

    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.append(1)

    def compute_metrics(self, results: list) -> dict:
        return {"acc": 0.5, "passed": True}


@pytest.mark.parametrize("custom_processor", [False, True])
def test_a_bool_metric_is_a_scalar_as_in_mmengine(
    make_runner: Any, read_jsonl: Any, custom_processor: bool
) -> None:
    """MMEngine counts bools as scalars: ``passed: True`` on the line among the metrics
    (before the times) and ``"passed": true`` in scalars.json."""
    extra: dict[str, Any] = {}
    if custom_processor:  # the hub path: MMEngine's get_log_after_epoch
        from runner_core.logging.log_processor import LogProcessor
        from runner_core.registry import LOG_PROCESSORS

        @LOG_PROCESSORS.register_module(force=True)
        class BoolEpochLogProcessorForTests(LogProcessor):
            def get_log_after_epoch(
                self, runner: Any, batch_idx: int, mode: str, with_non_scalar: bool = False
            ) -> tuple[dict, str]:
                return super().get_log_after_epoch(runner, batch_idx, mode, with_non_scalar)

        extra["log_processor"] = dict(type="BoolEpochLogProcessorForTests")
    runner = make_runner(val=True, val_evaluator=Verdict(prefix="check"), **extra)
    assert runner.val() == {"check/acc": 0.5, "check/passed": True}
    (closing,) = [line for line in log_lines(runner) if "check/acc" in line]
    assert re.search(r"check/acc: 0\.5000  check/passed: True  data_time: ", closing), closing
    record = scalars(runner, read_jsonl)[-1]
    assert record["check/passed"] is True and record["check/acc"] == 0.5


def test_json_log_path_serves_a_subclass_written_as_mmengines_docs_show(
    make_runner: Any, read_jsonl: Any
) -> None:
    class MyLogger(LoggerHook):
        def after_train_iter(
            self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
        ) -> None:
            if self.every_n_train_iters(runner, self.interval):
                tag, line = runner.log_processor.get_log_after_iter(runner, batch_idx, "train")
                runner.logger.info("MY " + line)
                runner.visualizer.add_scalars(
                    tag, step=runner.iter + 1, file_path=self.json_log_path
                )

    hook = MyLogger(interval=4, progress_bar=False)
    assert hook.json_log_path is None  # MMEngine's: set in before_run
    runner = make_runner(default_hooks=dict(logger=hook))
    runner.train()
    assert hook.json_log_path == f"{runner.timestamp}.json"
    copy = read_jsonl(Path(runner.log_dir) / "vis_data" / hook.json_log_path)
    assert [r["step"] for r in copy] == [4, 8, 12, 16]
    assert copy == scalars(runner, read_jsonl)
    assert len([line for line in log_lines(runner) if line.startswith("MY Epoch(train)")]) == 4


def _data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    x = torch.randn(32, 4, generator=g)
    return x, (x[:, 1] > 0).long()


def _test_data() -> Any:
    from torch.utils.data import TensorDataset

    x = torch.randn(16, 4, generator=torch.Generator().manual_seed(2))
    return TensorDataset(x, (x[:, 0] > 0).long())


def test_mmengines_json_logs_are_written_beside_scalars_json(
    make_runner: Any, read_jsonl: Any
) -> None:
    runner = make_runner(
        val=True,
        test_dataloader=dict(dataset=_test_data(), batch_size=8),
        test_evaluator=dict(type="Accuracy"),
        default_hooks=dict(logger=dict(interval=3)),
    )
    runner.train()
    runner.test()
    vis_data = Path(runner.log_dir) / "vis_data"
    # vis_data/<timestamp>.json: what OpenMMLab's log analysis tools read, the same records
    # as scalars.json for training and validation
    copy = read_jsonl(vis_data / f"{runner.timestamp}.json")
    assert copy == scalars(runner, read_jsonl)[:6]  # 4 training lines, 2 validations
    assert len(scalars(runner, read_jsonl)) == 7  # and the test record, apart from val's
    *_, test_record = scalars(runner, read_jsonl)
    assert list(test_record) == ["test/accuracy/top1", "test/data_time", "test/time", "step"]
    # <run folder>/<timestamp>.json: the test metrics, as MMEngine writes them
    test = json.loads((Path(runner.log_dir) / f"{runner.timestamp}.json").read_text())
    assert list(test) == ["accuracy/top1", "data_time", "time"]  # MMEngine's keys, no iter


def test_test_lines_say_iter_with_iteration_based_logging(make_runner: Any) -> None:
    runner = make_runner(
        test_dataloader=dict(dataset=_test_data(), batch_size=8),
        test_evaluator=dict(type="Accuracy"),
        log_processor=dict(by_epoch=False),
        default_hooks=dict(logger=dict(interval=1)),
    )
    runner.test()
    lines = [line for line in log_lines(runner) if "(test)" in line]
    assert lines and all(line.startswith("Iter(test) [") for line in lines), lines


def test_eval_lines_show_the_pass_eta_and_the_pass_mean_times(fake_runner: Any) -> None:
    """MMEngine: progress lines carry the pass's eta; the closing line the pass's mean times."""
    runner = fake_runner()
    runner.test_loop = SimpleNamespace(dataloader=list(range(4)))
    hub = runner.message_hub
    hook = LoggerHook(interval=2, window_size=1, progress_bar=False)
    hook.before_run(runner)
    hook.before_test_epoch(runner)
    lines: list[str] = []
    runner.logger.info = lambda msg, *a: lines.append(msg % a if a else msg)
    for i, seconds in enumerate([1.0, 3.0, 7.0, 9.0]):
        hub.update_scalar("test/data_time", seconds / 2)
        hub.update_scalar("test/time", seconds)
        hook.after_test_iter(runner, batch_idx=i)
    hook.after_test_epoch(runner, metrics={"acc": 0.5})
    # after 2 of 4 batches at a mean of 2 s: 4 s left; the window (1) shows the last time
    assert lines[0].startswith("Epoch(test) [2/4]  eta: 0:00:04  time: 3.0000  data_time: 1.5000")
    assert lines[-1] == "Epoch(test) [4/4]  acc: 0.5000  data_time: 2.5000  time: 5.0000"


# -- MMEngine's LogProcessor methods -----------------------------------------------------------
def test_the_base_log_processor_methods_return_the_hooks_lines(
    make_runner: Any, read_jsonl: Any
) -> None:
    from runner_core.logging.log_processor import LogProcessor

    runner = make_runner(val=True, default_hooks=dict(logger=dict(interval=4)))
    runner.train()
    processor = runner.log_processor
    assert type(processor) is LogProcessor
    # after the run: the hub still holds the last window and the last validation's metrics
    tag, line = processor.get_log_after_iter(runner, 7, "train")
    logged = [x for x in log_lines(runner) if x.startswith("Epoch(train) [3][8/8]")]
    assert line.startswith("Epoch(train) [3][8/8]  lr: 1.0000e-01  eta: ")
    assert tag["lr"] == pytest.approx(0.1) and tag["iter"] == runner.iter + 1 and "loss" in tag
    assert tag["epoch"] == runner.epoch + 1 and not logged  # built on demand, not logged
    tag, line = processor.get_log_after_epoch(runner, 4, "val")
    closing = [x for x in log_lines(runner) if x.startswith("Epoch(val) [2][4/4]  accuracy")]
    assert line == closing[-1].replace("Epoch(val) [2]", f"Epoch(val) [{runner.epoch}]")
    assert set(tag) == {"accuracy/top1", "data_time", "time"}
    with pytest.raises(AssertionError, match="mode must be one of"):
        processor.get_log_after_epoch(runner, 4, "train")


def test_a_log_processor_overriding_mmengines_methods_makes_the_lines(
    make_runner: Any, read_jsonl: Any
) -> None:
    from runner_core.logging.log_processor import LogProcessor
    from runner_core.registry import LOG_PROCESSORS

    @LOG_PROCESSORS.register_module(force=True)
    class ShoutingLogProcessorForTests(LogProcessor):
        def get_log_after_iter(self, runner: Any, batch_idx: int, mode: str) -> tuple[dict, str]:
            tag, line = super().get_log_after_iter(runner, batch_idx, mode)
            return dict(tag, shout=1.0), f"LOUD {mode} {batch_idx} | {line}"

        def get_log_after_epoch(
            self, runner: Any, batch_idx: int, mode: str, with_non_scalar: bool = False
        ) -> tuple[dict, str]:
            tag, line = super().get_log_after_epoch(runner, batch_idx, mode, with_non_scalar)
            return dict(tag, done=1.0), f"EPOCH {mode} | {line}"

    runner = make_runner(
        val=True,
        log_processor=dict(type="ShoutingLogProcessorForTests"),
        default_hooks=dict(logger=dict(interval=3)),
    )
    runner.train()
    lines = log_lines(runner)
    train = [x for x in lines if x.startswith("LOUD train")]
    assert [x.split(" | ")[0] for x in train] == ["LOUD train 2", "LOUD train 5"] * 2
    assert train[0].split(" | ")[1].startswith("Epoch(train) [1][3/8]  lr: 1.0000e-01")
    assert [x.split(" | ")[0] for x in lines if x.startswith("LOUD val")] == ["LOUD val 2"] * 2
    closing = [x for x in lines if x.startswith("EPOCH val")]
    assert [x.split(" | ")[1].split("  ")[:2] for x in closing] == [
        ["Epoch(val) [1][4/4]", closing[0].split("  ")[1]],
        ["Epoch(val) [2][4/4]", closing[1].split("  ")[1]],
    ]
    assert all("accuracy/top1: " in x for x in closing)
    records = scalars(runner, read_jsonl)
    assert [r["step"] for r in records if "shout" in r] == [3, 6, 11, 14]
    assert [r["step"] for r in records if "done" in r] == [1, 2]
    assert all("epoch" not in r and "iter" not in r for r in records if "done" in r)


def test_a_get_log_after_iter_replaced_on_the_instance_makes_the_lines(make_runner: Any) -> None:
    runner = make_runner(default_hooks=dict(logger=dict(interval=4)))
    original = runner.log_processor.get_log_after_iter

    def patched(runner_: Any, batch_idx: int, mode: str) -> tuple[dict, str]:
        tag, line = original(runner_, batch_idx, mode)
        return tag, f"PATCHED {mode} {batch_idx}"

    runner.log_processor.get_log_after_iter = patched  # as MMEngine's own tests patch it
    runner.train()
    assert [x for x in log_lines(runner) if x.startswith("PATCHED")][:2] == [
        "PATCHED train 3",
        "PATCHED train 7",
    ]


def test_file_client_args_is_accepted_as_none_only() -> None:
    from runner_core.errors import HookError

    assert LoggerHook(interval=5, file_client_args=None).interval == 5
    with pytest.raises(HookError, match="file_client_args"):
        LoggerHook(file_client_args=dict(backend="disk"))


def test_a_fresh_hooks_validation_line_uses_the_processors_digits(make_runner: Any) -> None:
    """Hook tests call after_val_epoch on a hook whose before_run never ran."""
    runner = make_runner(val=True)
    LoggerHook().after_val_epoch(runner, metrics={"accuracy/top1": 50.0})
    log = (runner.log_dir / f"{runner.timestamp}.log").read_text()
    assert "accuracy/top1: 50.0000" in log
