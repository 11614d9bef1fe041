"""MMLogger behaviour MMEngine users rely on: file_mode, warnings once, quiet other ranks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner_core.errors import ConfigError
from runner_core.logging import MMLogger
from runner_core.logging.logger import get_logger


@pytest.fixture(autouse=True)
def _keep_the_current_logger() -> Iterator[None]:
    """These tests make loggers current (one of rank 1): later tests get back the one before."""
    from runner_core.logging import RunLogger

    before = RunLogger._current
    yield
    RunLogger._current = before


def _close(logger: logging.Logger) -> None:
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


def _messages(path: Path) -> list[str]:
    return [line.split(" - ", 2)[2] for line in path.read_text().splitlines()]


def test_file_mode_w_starts_the_file_afresh_and_a_appends(tmp_path: Path) -> None:
    fresh, kept = tmp_path / "fresh.log", tmp_path / "kept.log"
    fresh.write_text("old line\n")
    kept.write_text("old line\n")
    first = MMLogger.get_instance("qa-file-mode-default", log_file=fresh)  # MMEngine: 'w'
    first.info("new")
    second = MMLogger.get_instance("qa-file-mode-a", log_file=kept, file_mode="a")
    second.info("new")
    first.info("after a close")  # making `second` closed first's file: reopened, appended to
    _close(first)
    _close(second)
    assert fresh.read_text().splitlines()[0] != "old line"
    assert _messages(fresh) == ["INFO - new", "INFO - after a close"]
    assert kept.read_text().splitlines()[0] == "old line"
    with pytest.raises(ConfigError, match=r"file_mode='r'.*'w'.*'a'"):
        get_logger("qa-file-mode-bad", log_file=tmp_path / "x.log", file_mode="r")


def test_the_same_warning_is_logged_once_as_mmengines_filter(tmp_path: Path) -> None:
    path = tmp_path / "run.log"
    logger = get_logger("qa-warn-once", log_file=path)
    for _ in range(3):
        logger.warning("the loss is NaN")
        logger.info("a line")
    logger.warning("value %s", 1)
    logger.warning("value %s", 2)  # another text: shown
    logger.error("boom")
    logger.error("boom")  # errors are all shown
    _close(logger)
    assert _messages(path) == [
        "WARNING - the loss is NaN",
        "INFO - a line",
        "INFO - a line",
        "INFO - a line",
        "WARNING - value 1",
        "WARNING - value 2",
        "ERROR - boom",
        "ERROR - boom",
    ]


def test_a_handler_added_on_another_rank_sees_its_warnings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """MMEngine filters other ranks at the console only: a handler of yours there (a file
    per rank, an alert) still gets warnings."""
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    logger = get_logger("qa-rank-1-handler", rank=1)
    logger.addHandler(Keep(level=logging.WARNING))
    logger.info("progress")
    logger.warning("rank 1 sees a strange batch")
    _close(logger)
    assert seen == ["rank 1 sees a strange batch"]
    assert "strange batch" not in capsys.readouterr().err


def test_other_ranks_print_errors_only_as_mmengine(capsys: pytest.CaptureFixture[str]) -> None:
    logger = get_logger("qa-rank-1", rank=1)
    logger.info("progress")
    logger.warning("a warning every rank would print")
    logger.error("rank 1 failed")
    _close(logger)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "a warning" not in captured.err and "progress" not in captured.err
    assert "[rank 1]" in captured.err and "rank 1 failed" in captured.err


def test_other_ranks_know_the_runs_log_file_without_writing_it(tmp_path: Path) -> None:
    # code on any rank may take the run folder from logger.log_file, as with MMEngine's
    log_file = tmp_path / "run" / "run.log"
    logger = get_logger("qa-rank-1-file", log_file=log_file, rank=1)
    logger.error("only rank 0 writes the file")
    _close(logger)
    assert logger.log_file == str(log_file) and not log_file.exists()
    assert not log_file.parent.exists()  # another machine's run folder is never made


def test_other_ranks_append_their_errors_to_the_runs_log_file(tmp_path: Path) -> None:
    log_file = tmp_path / "run.log"
    log_file.write_text("an earlier run's line\n")
    rank1 = get_logger("qa-rank-1-of-two", log_file=log_file, rank=1)
    # MMLogger's default file_mode='w': emptied, then appended to, so rank 0's later lines
    # never overwrite the one rank 1 appends (rank 0 keeps its file open meanwhile)
    rank0 = get_logger("qa-rank-0-of-two", log_file=log_file, rank=0, file_mode="w")
    rank0.info("rank 0 trains")
    rank1.warning("a warning of rank 1")  # not in the file: as MMEngine, errors only
    try:
        raise ValueError("boom")
    except ValueError:
        rank1.error("rank 1/2 failed: ValueError: boom", exc_info=True)
    rank0.info("rank 0 goes on")
    for logger in (rank0, rank1):
        _close(logger)
    lines = log_file.read_text().splitlines()
    assert [line.split(" - ", 1)[1] for line in lines if " - " in line] == [
        "runner - INFO - rank 0 trains",
        "runner - ERROR - [rank 1] rank 1/2 failed: ValueError: boom",
        "runner - INFO - rank 0 goes on",
    ]
    assert "ValueError: boom" in lines[-2] and lines[2].startswith("Traceback")


def test_clearing_instance_dict_as_ported_teardowns_do_forgets_the_current_logger(
    tmp_path: Path,
) -> None:
    saved = dict(MMLogger._instance_dict)
    logger = MMLogger.get_instance("ported", log_file=str(tmp_path / "a.log"))
    try:
        assert MMLogger.get_current_instance() is logger
        assert MMLogger._instance_dict["ported"] is logger
        MMLogger._instance_dict.clear()  # an MMEngine test suite's tearDown
        fresh = MMLogger.get_current_instance()
        assert fresh is not logger and fresh.log_file is None
    finally:
        _close(logger)
        MMLogger._instance_dict.update(saved)


def test_a_logger_made_by_name_is_found_by_that_name_later(tmp_path: Path) -> None:
    """A library makes its logger once (result unused) and logs to it by name later, as
    with MMEngine; only a Runner's own logger goes away with its Runner."""
    import gc

    MMLogger.get_instance("qa-kept", log_file=str(tmp_path / "kept.log"), log_level="DEBUG")
    MMLogger.get_instance("qa-kept-other")
    gc.collect()
    try:
        assert MMLogger.check_instance_created("qa-kept")
        from runner_core.logging import print_log

        print_log("by name", logger="qa-kept", level=logging.DEBUG)
        assert _messages(tmp_path / "kept.log") == ["DEBUG - by name"]
    finally:
        for name in ("qa-kept", "qa-kept-other"):
            _close(MMLogger.get_instance(name))
            MMLogger._kept.pop(name, None)
