"""A run call that fails writes why into the run's log file, not only to the terminal.

A script or notebook run shows the traceback on its terminal, which a batch
job may lose; the log file in the run folder is what is read afterwards. So
the Runner hands the error, traceback and notes included, to its logger's
file handlers (the terminal already gets Python's own report), once per
error: :func:`failure_logged` tells a caller (``runner-cli``) not to write
it again.
"""

from __future__ import annotations

import logging

__all__ = ["failure_logged", "log_failure_to_files"]

_MARK = "__runner_failure_logged__"


def log_failure_to_files(logger: logging.Logger, exc: BaseException, call: str) -> bool:
    """Write ``exc`` to ``logger``'s file handlers, unless already written; True if
    written. An interruption (Ctrl-C) is one line, without the traceback."""
    if failure_logged(exc):
        return False
    handlers = [h for h in logger.handlers if isinstance(h, logging.FileHandler)]
    if not handlers:
        return False
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
    for handler in handlers:
        try:
            handler.handle(record)
            handler.flush()
        except Exception:  # a log that cannot be written must not hide the error itself
            continue
    try:
        setattr(exc, _MARK, True)
    except (AttributeError, TypeError):  # an exception type without a __dict__
        pass
    return True


def failure_logged(exc: BaseException) -> bool:
    """Whether a Runner already wrote ``exc`` into its run's log file."""
    return bool(getattr(exc, _MARK, False))
