"""``print_log``: MMEngine's one call for "log this wherever logging goes now".

Library code (a metric, a dataset) that does not hold the runner's logger
still wants its messages in the run's log; ``logger='current'`` finds it.
"""

from __future__ import annotations

import logging
from typing import Any

from .logger import RunLogger


def print_log(
    msg: Any, logger: logging.Logger | str | None = None, level: int = logging.INFO
) -> None:
    """Log ``msg`` through ``logger``.

    ``logger`` is a ``logging.Logger``; ``'current'`` (the run's logger);
    ``'silent'`` (drop the message); the name of a logger that already exists;
    or ``None`` (plain ``print``).
    """
    if logger is None:
        print(msg)
        return
    if isinstance(logger, logging.Logger):
        logger.log(level, msg)
        return
    if logger == "silent":
        return
    if logger == "current":  # the latest run's; before any run a console logger, as MMEngine's
        RunLogger.get_current_instance().log(level, msg)
        return
    if isinstance(logger, str):
        if RunLogger.check_instance_created(logger):
            RunLogger.get_instance(logger).log(level, msg)
            return
        if logger not in logging.Logger.manager.loggerDict:
            from ..errors import did_you_mean

            known = [n for n in logging.Logger.manager.loggerDict if not n.startswith("_")]
            raise ValueError(
                f"print_log: no logger named {logger!r} has been created; pass 'current' for "
                f"the run's logger, 'silent', None or a logging.Logger.{did_you_mean(logger, known)}"
            )
        logging.getLogger(logger).log(level, msg)
        return
    raise TypeError(
        "print_log: logger must be a logging.Logger, 'current', 'silent', a logger name or "
        f"None, got {type(logger).__name__}."
    )
