"""Which initializer set each parameter: the report ``init_weights`` writes to the run's log.

MMEngine's ``BaseModule.init_weights`` tracks, for the top-level module, how
each parameter got its value (``_params_init_info``: an initializer, a
pretrained file, a child's own ``init_weights``, or nothing) and writes the
list to the log file when it is done. Users read it to check that pretrained
weights reached the layers they meant. The bookkeeping is MMEngine's (the
initializers call :func:`~runner_core.model.weight_init.update_init_info`);
this module starts it on the top-level module and writes the report.
"""

from __future__ import annotations

import logging
from typing import Any

from torch import nn

INFO_ATTR = "_params_init_info"


def start_report(module: nn.Module) -> dict[Any, dict[str, Any]] | None:
    """Start tracking when ``module`` is the top-level one being initialised.

    Returns the shared record (also set on every submodule, so initializers
    at any depth update it), or None when an enclosing module already
    tracks, or when a parameter has no data to compare yet (meta device).
    """
    if hasattr(module, INFO_ATTR):
        return None
    params = list(module.parameters())
    if any(param.is_meta for param in params):
        return None
    unchanged = (
        f"The value is the same before and after calling `init_weights` of {type(module).__name__} "
    )
    record: dict[Any, dict[str, Any]] = {
        param: {"init_info": unchanged, "tmp_mean_value": param.data.mean().cpu()}
        for param in params
    }
    for sub in module.modules():
        setattr(sub, INFO_ATTR, record)
    return record


def finish_report(module: nn.Module, record: dict[Any, dict[str, Any]], write: bool = True) -> None:
    """Write the report (process 0 only; not when ``write`` is False: the init
    failed) and stop tracking."""
    try:
        from ..distributed.utils import get_rank

        if write and get_rank() == 0:
            _write(module, record)
    finally:
        for sub in module.modules():
            if hasattr(sub, INFO_ATTR):
                delattr(sub, INFO_ATTR)


def _write(module: nn.Module, record: dict[Any, dict[str, Any]]) -> None:
    """Into the current run logger's log files, as MMEngine writes it (plain text, not
    log lines); without a log file, as one DEBUG line (MMEngine prints every
    parameter at INFO, which floods a console)."""
    from ..logging import RunLogger

    entries = "".join(
        f"\n{name} - {param.shape}: \n{record[param]['init_info']} \n"
        for name, param in module.named_parameters()
        if param in record
    )
    logger = RunLogger.get_current_instance()
    files = [h for h in logger.handlers if isinstance(h, logging.FileHandler)]
    text = "Name of parameter - Initialization information\n" + entries
    for handler in files:
        # through the handler, formatted as the bare text: a file it cannot write is
        # reported as for any log line (logging's handleError), never raised into the run
        line = logging.LogRecord(logger.name, logging.INFO, __file__, 0, text, None, None)
        handler.acquire()
        try:
            formatter, handler.formatter = handler.formatter, _BARE
            handler.handle(line)
        finally:
            handler.formatter = formatter
            handler.release()
    if not files:
        logger.debug("%s", text)


_BARE = logging.Formatter("%(message)s")
