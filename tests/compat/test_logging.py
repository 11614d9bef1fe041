"""MessageHub instances and print_log, used as MMEngine code uses them."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch

from runner_core import Runner
from runner_core.logging import MessageHub, print_log


def test_get_instance_returns_the_same_hub_by_name() -> None:
    hub = MessageHub.get_instance("compat-hub-a")
    hub.update_scalar("loss", 1.5)
    again = MessageHub.get_instance("compat-hub-a")
    assert again is hub
    assert again.get_scalar("loss").current() == 1.5


def test_update_scalar_reads_cpu_numbers_and_keeps_device_tensors() -> None:
    hub = MessageHub.get_instance("compat-hub-scalars")
    hub.update_scalar("loss", torch.tensor(0.5, requires_grad=True) * 1)
    on_device = torch.tensor(2.0, device="meta")  # stands in for a GPU tensor
    hub.update_scalar("loss", on_device)
    hub.update_scalar("loss", 1)
    values = list(hub.get_scalar("loss")._values)
    assert values[0] == 0.5 and type(values[0]) is float  # no tensor (or graph) kept alive
    assert values[1] is on_device  # not read: reading would wait on the device
    assert values[2] == 1


def test_current_instance_is_the_latest_created() -> None:
    MessageHub.get_instance("compat-hub-first")
    latest = MessageHub.get_instance("compat-hub-latest")
    assert MessageHub.get_current_instance() is latest
    # fetching an older hub by name does not make it current (as in MMEngine)
    MessageHub.get_instance("compat-hub-first")
    assert MessageHub.get_current_instance() is latest


def test_runner_hub_is_the_current_instance_during_the_run(tmp_path: Path) -> None:
    runner = Runner(model=torch.nn.Linear(2, 2), work_dir=str(tmp_path))
    assert MessageHub.get_current_instance() is runner.message_hub
    assert MessageHub.get_instance(runner.experiment_name) is runner.message_hub


def test_print_log_to_current_logger_reaches_the_run_log(tmp_path: Path) -> None:
    runner = Runner(model=torch.nn.Linear(2, 2), work_dir=str(tmp_path))
    print_log("hello from a metric", logger="current")
    for handler in runner.logger.handlers:
        handler.flush()
    logs = list(Path(runner.log_dir).glob("*.log"))
    assert logs and "hello from a metric" in logs[0].read_text()


def test_print_log_none_prints_and_silent_drops(capsys: pytest.CaptureFixture[str]) -> None:
    print_log("to stdout")
    print_log("dropped", logger="silent")
    assert capsys.readouterr().out == "to stdout\n"


def test_print_log_with_a_logger_object_uses_its_level(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("compat-print-log")
    with caplog.at_level(logging.WARNING, logger="compat-print-log"):
        print_log("careful", logger=logger, level=logging.WARNING)
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [(logging.WARNING, "careful")]


def test_print_log_unknown_logger_name_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="no logger named 'compat-never-made'"):
        print_log("x", logger="compat-never-made")


def test_print_log_current_without_a_run_still_prints(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from runner_core.logging import RunLogger

    monkeypatch.setattr(RunLogger, "_current", None)
    monkeypatch.setattr(RunLogger, "_instances", type(RunLogger._instances)())
    print_log("before any runner", logger="current")
    assert "before any runner" in capsys.readouterr().out
