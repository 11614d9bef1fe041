"""The run's logger: python ``logging``, rank-aware.

Rank 0 logs to the console and to the run folder's log file at ``log_level``;
other ranks log warnings and errors only, to the console, prefixed with their
rank, so a multi-process run prints one stream of progress.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

LOGGER_NAME = "runner"
_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"


class SecondsFormatter(logging.Formatter):
    """A ``logging.Formatter`` whose date format shows whole seconds: formatted once a second.

    Each handler formats every record's time (a ``localtime`` and a
    ``strftime``); log lines come many to a second, all with the same
    timestamp text, so the text is kept until the second changes. The output
    is the plain ``Formatter``'s.
    """

    def __init__(self, fmt: str | None = None, datefmt: str | None = None) -> None:
        super().__init__(fmt, datefmt)
        self._kept: tuple[int, str] = (-1, "")  # (second, its text): one tuple, swapped whole

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        if datefmt is None:  # the default format shows milliseconds: nothing to keep
            return super().formatTime(record, datefmt)
        second = int(record.created)
        kept_second, text = self._kept
        if second != kept_second:
            text = super().formatTime(record, datefmt)
            self._kept = (second, text)
        return text


def get_logger(
    name: str = LOGGER_NAME,
    log_file: str | Path | None = None,
    log_level: str | int = "INFO",
    rank: int = 0,
) -> logging.Logger:
    """Return the named logger, (re)configured for this run.

    Handlers this function added before are replaced, so building a second
    Runner in one process does not duplicate lines.
    """
    logger = logging.getLogger(name)
    level = _level(log_level)
    for handler in list(logger.handlers):
        if getattr(handler, "_runner_owned", False):
            logger.removeHandler(handler)
            handler.close()
    logger.propagate = False
    if rank == 0:
        logger.setLevel(level)
        console = logging.StreamHandler(sys.stdout)
        console.setFormatter(SecondsFormatter(_FORMAT, "%m/%d %H:%M:%S"))
        _own(logger, console)
        if log_file is not None:
            Path(log_file).parent.mkdir(parents=True, exist_ok=True)
            fh = logging.FileHandler(log_file, mode="a", encoding="utf-8")
            fh.setFormatter(SecondsFormatter(_FORMAT, "%Y/%m/%d %H:%M:%S"))
            _own(logger, fh)
    else:
        logger.setLevel(logging.WARNING)
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(logging.Formatter(f"[rank {rank}] {_FORMAT}"))
        _own(logger, console)
    return logger


def _own(logger: logging.Logger, handler: logging.Handler) -> None:
    handler._runner_owned = True  # type: ignore[attr-defined]
    logger.addHandler(handler)


def _level(level: str | int) -> int:
    if isinstance(level, int):
        return level
    value = logging.getLevelName(str(level).upper())
    if not isinstance(value, int):
        from ..errors import ConfigError, did_you_mean

        raise ConfigError(
            f"log_level={level!r} is not a logging level."
            + did_you_mean(str(level).upper(), ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])
        )
    return value
