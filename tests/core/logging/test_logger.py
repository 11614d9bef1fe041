"""The run's logger: its lines, and their timestamps formatted once a second."""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path

import pytest

from runner_core.logging.logger import SecondsFormatter, get_logger

_FMT = "%(asctime)s - %(levelname)s - %(message)s"


def _record(created: float, msg: str = "m") -> logging.LogRecord:
    record = logging.LogRecord("runner", logging.INFO, __file__, 1, msg, None, None)
    record.created = created
    record.msecs = (created - int(created)) * 1000
    return record


def test_timestamps_are_the_plain_formatters_whatever_the_order_of_records() -> None:
    for datefmt in ("%Y/%m/%d %H:%M:%S", "%m/%d %H:%M:%S", None):
        ours, plain = SecondsFormatter(_FMT, datefmt), logging.Formatter(_FMT, datefmt)
        # same second twice, the next second, back to an earlier one, a second boundary
        for created in (
            1_700_000_000.1,
            1_700_000_000.9,
            1_700_000_001.0,
            1_699_999_999.5,
            1_700_000_061.999,
            1_700_003_600.0,
        ):
            assert ours.format(_record(created)) == plain.format(_record(created))


def test_the_run_log_file_gets_the_usual_line(tmp_path: Path) -> None:
    log_file = tmp_path / "run.log"
    logger = get_logger("runner.test_logger", log_file=log_file)
    try:
        logger.info("hello")
        logger.info("again")
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()
    lines = log_file.read_text(encoding="utf-8").splitlines()
    stamp = r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d"
    # the lines name the logger "runner", whatever the instance is called (as MMEngine's)
    assert re.fullmatch(rf"{stamp} - runner - INFO - hello", lines[0])
    assert re.fullmatch(rf"{stamp} - runner - INFO - again", lines[1])


def test_two_run_loggers_keep_their_own_files(tmp_path: Path) -> None:
    from runner_core.logging import MMLogger, print_log

    first = get_logger("run-a", log_file=tmp_path / "a.log")
    second = get_logger("run-b", log_file=tmp_path / "b.log")
    assert MMLogger.get_current_instance() is second
    first.info("from a")  # its file was closed when b was made: reopened, appended to
    second.info("from b")
    print_log("current", logger="current")
    # asking for a logger by name returns it as it is, files and all, and says that the
    # new arguments are ignored (MMEngine's ManagerMixin warns so)
    with pytest.warns(UserWarning, match=r"'run-a' already exists.*\['log_file'\]"):
        assert MMLogger.get_instance("run-a", log_file=tmp_path / "other.log") is first
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert MMLogger.get_instance("run-a") is first  # no arguments: nothing to warn about
    first.info("a again")
    for logger in (first, second):
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()
    assert [line.split(" - ")[-1] for line in (tmp_path / "a.log").read_text().splitlines()] == [
        "from a",
        "a again",
    ]
    assert [line.split(" - ")[-1] for line in (tmp_path / "b.log").read_text().splitlines()] == [
        "from b",
        "current",
    ]
    assert not (tmp_path / "other.log").exists()


def test_log_file_is_the_file_the_logger_writes(tmp_path: Path) -> None:
    from runner_core.logging import MMLogger

    path = tmp_path / "t_log_file.log"
    logger = MMLogger.get_instance("t_log_file", log_file=str(path), rank=0)
    assert logger.log_file == str(path)
    assert MMLogger.get_instance("t_log_file_console", rank=0).log_file is None


class _GoneReader:
    """A stdout whose reader left (``runner-cli train ... | head -1``)."""

    encoding = "utf-8"

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def test_the_console_handler_goes_quiet_when_its_reader_left(capsys) -> None:
    """Each record printed a '--- Logging error ---' traceback (579 lines of stderr)."""
    import logging

    from runner_core.logging.logger import ConsoleHandler

    handler = ConsoleHandler(_GoneReader())  # type: ignore[arg-type]
    logger = logging.getLogger("test_console_gone_reader")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        for n in range(3):
            logger.warning("line %d", n)
    finally:
        logger.removeHandler(handler)
    assert capsys.readouterr().err == ""


def test_the_console_handler_escapes_what_its_encoding_lacks(capsys) -> None:
    import io
    import logging

    from runner_core.logging.logger import ConsoleHandler

    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    handler = ConsoleHandler(stream)
    logger = logging.getLogger("test_console_ascii")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.warning("métrique café")
        logger.warning("plain")
    finally:
        logger.removeHandler(handler)
    stream.flush()
    assert raw.getvalue().decode("ascii").splitlines() == ["m\\xe9trique caf\\xe9", "plain"]
    assert capsys.readouterr().err == ""


class _FullDisk:
    encoding = "utf-8"

    def write(self, text: str) -> int:
        raise OSError(28, "No space left on device")

    def flush(self) -> None:
        pass


def test_a_full_disk_costs_the_log_file_its_lines_said_once(tmp_path, capsys) -> None:
    """Each record printed a '--- Logging error ---' traceback; a run on a full disk drowned
    its own report in them."""
    import logging

    from runner_core.logging.logger import RunFileHandler

    handler = RunFileHandler(str(tmp_path / "run.log"))
    real = handler.stream
    handler.setStream(_FullDisk())  # type: ignore[arg-type]
    logger = logging.getLogger("test_full_disk_log")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        for n in range(3):
            logger.warning("line %d", n)
        handler.setStream(real)  # room again: lines are written, and a next fill is said
        logger.warning("after")
        handler.setStream(_FullDisk())  # type: ignore[arg-type]
        logger.warning("full again")
    finally:
        logger.removeHandler(handler)
        handler.setStream(real)
        handler.close()
    err = capsys.readouterr().err
    assert err.count("cannot write the log file") == 2 and "Logging error" not in err
    assert "No space left on device" in err
    assert (tmp_path / "run.log").read_text().splitlines()[-1].endswith("after")


class _FullDiskOnFlush(_FullDisk):
    def flush(self) -> None:
        raise OSError(28, "No space left on device")


def test_closing_a_log_file_on_a_full_disk_warns_and_does_not_raise(tmp_path) -> None:
    """A run failing on a full disk (its checkpoint error naming the file) closed its log
    files as the run call ended; the close's own ENOSPC came out instead, nameless."""
    from runner_core.logging.logger import _close_files

    logger = get_logger("t_close_full_disk", log_file=tmp_path / "run.log")
    logger.info("a line")
    handler = next(h for h in logger.handlers if isinstance(h, logging.FileHandler))
    real = handler.stream
    handler.setStream(_FullDiskOnFlush())  # type: ignore[arg-type]
    try:
        with pytest.warns(UserWarning, match=r"run\.log: .*No space left"):
            _close_files(logger.handlers)
    finally:
        real.close()
    logger.info("room again")  # the next line reopens the file
    _close_files(logger.handlers)
    assert (tmp_path / "run.log").read_text().splitlines()[-1].endswith("room again")
