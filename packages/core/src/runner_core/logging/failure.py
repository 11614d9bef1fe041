"""A run call that fails writes why into the run's log file, not only to the terminal.

A script or notebook run shows the traceback on its terminal, which a batch
job may lose; the log file in the run folder is what is read afterwards. So
the Runner hands the error, traceback and notes included, to its logger's
file handlers (the terminal already gets Python's own report), once per
file: :func:`failure_logged` tells a caller (``runner-cli``) not to write
it again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from .logger import record_to_files

__all__ = ["failure_log_files", "failure_logged", "log_failure_to_files", "mark_logged"]

#: the attribute of an exception that lists the log files it was written to
_MARK = "__runner_failure_logged_to__"


def log_failure_to_files(logger: logging.Logger, exc: BaseException, call: str) -> bool:
    """Write ``exc`` to ``logger``'s log files it is not in yet; True if written. An
    interruption (Ctrl-C) is one line, without the traceback."""
    done: set[str] = set(getattr(exc, _MARK, ()))
    if isinstance(exc, Exception):
        record = logging.LogRecord(
            logger.name,
            logging.ERROR,
            __file__,
            0,
            "The run failed in %s: %s: %s",
            (call, type(exc).__name__, exc),
            (type(exc), exc, exc.__traceback__),
        )
    else:
        record = logging.LogRecord(
            logger.name,
            logging.WARNING,
            __file__,
            0,
            "The run was stopped by %s in %s.",
            (type(exc).__name__, call),
            None,
        )
    written = record_to_files(logger, record, skip=done)
    mark_logged(exc, written)
    return bool(written)


def mark_logged(exc: BaseException, files: Iterable[str]) -> None:
    """Note that ``exc`` with its traceback was written to ``files`` (see
    :func:`failure_log_files`)."""
    done = tuple(dict.fromkeys((*getattr(exc, _MARK, ()), *files)))
    try:
        setattr(exc, _MARK, done)
    except (AttributeError, TypeError):  # an exception type without a __dict__
        pass


def failure_log_files(exc: BaseException) -> tuple[str, ...]:
    """The log files ``exc`` was written to with its traceback, in order (none: not
    written): where a one-line report on the terminal can send the reader."""
    return tuple(getattr(exc, _MARK, ()))


def failure_logged(exc: BaseException, logger: logging.Logger | None = None) -> bool:
    """Whether a Runner already wrote ``exc`` into a log file (into each of ``logger``'s,
    when given)."""
    done = set(getattr(exc, _MARK, ()))
    if logger is None:
        return bool(done)
    files = [h.baseFilename for h in logger.handlers if isinstance(h, logging.FileHandler)]
    return bool(files) and all(name in done for name in files)
