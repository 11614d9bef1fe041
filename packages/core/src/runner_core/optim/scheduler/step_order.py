"""Warn, as torch and MMEngine do, when a scheduler steps before its optimizer.

Stepping the scheduler first skips the first value of the schedule, a quiet
bug. A scheduler counts its optimizer's ``step()`` calls by wrapping that
method when it is created; at its first ``step()`` it warns if the optimizer
has not stepped yet, or if ``optimizer.step`` was replaced since (then the
count is lost and the order cannot be checked).
"""

from __future__ import annotations

import functools
import warnings
import weakref
from typing import Any

_MARK = "_counted_for_schedulers"
_HOW_TO = "See https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"


def count_optimizer_steps(optimizer: Any) -> None:
    """Make ``optimizer.step()`` count its calls, from 0 (the wrapping happens once)."""
    step = getattr(optimizer, "step", None)
    if step is None:
        return
    if getattr(step, _MARK, False):
        step.calls = 0
        return
    func = getattr(step, "__func__", None)
    if func is None:  # already a plain function (replaced by someone): keep calling it
        inner = step

        def call(*args: Any, **kwargs: Any) -> Any:
            return inner(*args, **kwargs)
    else:  # a bound method: hold the function and a weak reference (no reference cycle)
        owner = weakref.ref(optimizer)

        def call(*args: Any, **kwargs: Any) -> Any:
            return func(owner(), *args, **kwargs)

    @functools.wraps(func or step)
    def counted(*args: Any, **kwargs: Any) -> Any:
        counted.calls += 1  # type: ignore[attr-defined]
        return call(*args, **kwargs)

    counted.__dict__.pop("__wrapped__", None)  # functools.wraps would keep a reference
    counted.calls = 0  # type: ignore[attr-defined]
    setattr(counted, _MARK, True)
    try:
        optimizer.step = counted
    except AttributeError:  # a read-only step: nothing to count with
        pass


def warn_if_stepped_first(scheduler: Any, optimizer: Any) -> None:
    """Call at a scheduler's first user ``step()``: warn about a wrong call order."""
    step = getattr(optimizer, "step", None)
    if step is None:
        return
    name = type(scheduler).__name__
    if not getattr(step, _MARK, False):
        warnings.warn(
            f"Seems like `optimizer.step()` has been overridden after {name} was created, so "
            "the scheduler cannot check the call order. Make sure to call `optimizer.step()` "
            f"before `scheduler.step()`. {_HOW_TO}",
            UserWarning,
            stacklevel=3,
        )
    elif step.calls == 0:
        warnings.warn(
            f"Detected call of `{name}.step()` before `optimizer.step()`. Call them in the "
            "opposite order, `optimizer.step()` before `scheduler.step()`: otherwise the first "
            f"value of the schedule is skipped. {_HOW_TO}",
            UserWarning,
            stacklevel=3,
        )
