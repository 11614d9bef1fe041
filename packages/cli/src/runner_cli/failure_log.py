"""A run that fails still writes why: the full traceback goes to the run's log file.

The terminal gets one paragraph (``errors.report``); the log file of the run
(the ``runner`` logger's file handler, set up as soon as the Runner started
building) gets the error with its whole traceback, notes included, so a
failure can be investigated after the fact without ``--debug``. A run
stopped with Ctrl-C writes there why it ends, too. Under ``torchrun`` the error
also goes to the file torchrun reads back (``record_for_torchrun``), so its
failure summary shows the traceback of the rank that failed (an input error:
its one paragraph, as the terminal shows it).
"""

from __future__ import annotations

import logging

from runner_core.errors import traceback_helps

from .errors import UsageError, describe


def log_failure(exc: BaseException) -> bool:
    """Write ``exc`` with its traceback to the run's log file(s); True if there was one
    (or the Runner had written it there already)."""
    from runner_core.logging.failure import failure_logged, mark_logged
    from runner_core.logging.logger import LOGGER_NAME, RunLogger, record_to_files

    logger = RunLogger.get_current_instance()
    if failure_logged(exc, logger):
        return True

    record = logging.LogRecord(
        LOGGER_NAME,
        logging.ERROR,
        __file__,
        0,
        "The run failed: %s",
        (describe(exc, debug=True),),  # the traceback follows it: no "--debug" hint
        (type(exc), exc, exc.__traceback__),
    )
    written = record_to_files(logger, record)
    mark_logged(exc, written)  # the terminal's report names the file
    return bool(written)


def log_interruption(message: str) -> bool:
    """Write why the run stopped (Ctrl-C) to its log file(s); True if there was one."""
    from runner_core.logging.logger import LOGGER_NAME

    record = logging.LogRecord(LOGGER_NAME, logging.WARNING, __file__, 0, "%s", (message,), None)
    return log_to_files(record)


def log_to_files(record: logging.LogRecord) -> bool:
    """Hand ``record`` to the current run's log file handlers only (the terminal gets its
    own message); True if there was one."""
    from runner_core.logging.logger import RunLogger, record_to_files

    return bool(record_to_files(RunLogger.get_current_instance(), record))


def record_for_torchrun(exc: BaseException, debug: bool = False) -> bool:
    """Write ``exc`` to torchrun's error file ($TORCHELASTIC_ERROR_FILE) while it is handled;
    True if written.

    torchrun's summary of a failed run reads each rank's file: without one it
    says ``error_file: <N/A>`` and only points at the ``@record`` docs. torch's
    own handler writes it (its format), as ``@record`` would around ``main``.
    An input error (a bad command line or config, a busy work dir) is written
    as its one paragraph, without the traceback, as the terminal shows it
    (``debug``: with it; a plugin or module that failed to import keeps it,
    see ``runner_core.errors.traceback_helps``); the run's log file keeps the
    traceback.
    """
    import os

    path = os.environ.get("TORCHELASTIC_ERROR_FILE")
    if not path:
        return False
    try:
        if not debug and (isinstance(exc, UsageError) or not traceback_helps(exc)):
            import json
            import time

            text = f"{type(exc).__name__}: {describe(exc)}"
            data = {
                "message": {
                    "message": text,
                    "extraInfo": {"py_callstack": text, "timestamp": str(int(time.time()))},
                }
            }
            with open(path, "w") as file:
                json.dump(data, file)
            return True
        from torch.distributed.elastic.multiprocessing.errors import get_error_handler

        get_error_handler().record_exception(exc)
    except Exception:  # no torch, or a file that cannot be written: the report still comes
        return False
    return True
