"""Old and misspelled hook names from MMEngine-era configs (and the Runner guide).

``TextLoggerHook`` was renamed ``LoggerHook``; the guide spells
``OptimizerHook`` as ``OptimzierHook``. Both still build the right hook, with
a DeprecationWarning that says what to write instead.
"""

from __future__ import annotations

import inspect
import os
import sys
import warnings
from typing import Any

from runner_core.errors import stacklevel_outside_runner_core

from .logger import LoggerHook
from .optimizer import OptimizerHook


class RenamedHookWarning(DeprecationWarning):
    """A config uses an old or misspelled hook type name."""


def _user_chose_for_it() -> bool:
    """Whether a -W / PYTHONWARNINGS option could apply to RenamedHookWarning (no
    category, or one of its bases), as ``-W error::DeprecationWarning`` or ``-W ignore``."""
    chosen = {"", "Warning", "DeprecationWarning", "RenamedHookWarning"}
    for option in sys.warnoptions:
        fields = [*option.split(":"), "", ""]
        if fields[2].strip().rsplit(".", 1)[-1] in chosen:
            return True
    return False


# Python hides DeprecationWarnings raised outside __main__; this one is about the
# user's config, so show it (once per place, the default action), unless the user
# chose what happens to it (-W, PYTHONWARNINGS): then their choice holds. An option
# about other warnings (PYTHONWARNINGS=ignore::FutureWarning) leaves it shown.
if not _user_chose_for_it():
    warnings.filterwarnings("default", category=RenamedHookWarning)


def TextLoggerHook(**kwargs: Any) -> LoggerHook:  # noqa: N802 - a config type name
    """``LoggerHook(**kwargs)``, with a DeprecationWarning."""
    warnings.warn(
        "TextLoggerHook is LoggerHook in runner; rename the type: dict(type='LoggerHook', ...).",
        RenamedHookWarning,
        stacklevel=stacklevel_outside_runner_core(also=os.path.dirname(__file__)),
    )
    return LoggerHook(**kwargs)


def OptimzierHook(**kwargs: Any) -> OptimizerHook:  # noqa: N802 - a config type name
    """``OptimizerHook(**kwargs)``: the guide's misspelling, with a DeprecationWarning."""
    warnings.warn(
        "Hook type 'OptimzierHook' is a misspelling: did you mean OptimizerHook? Building "
        "OptimizerHook; rename the type to 'OptimizerHook' (or move grad_clip to "
        "optim_wrapper=dict(clip_grad=...)).",
        RenamedHookWarning,
        stacklevel=stacklevel_outside_runner_core(also=os.path.dirname(__file__)),
    )
    return OptimizerHook(**kwargs)


# The registry checks config arguments against these signatures.
TextLoggerHook.__signature__ = inspect.signature(LoggerHook)  # type: ignore[attr-defined]
OptimzierHook.__signature__ = inspect.signature(OptimizerHook)  # type: ignore[attr-defined]
