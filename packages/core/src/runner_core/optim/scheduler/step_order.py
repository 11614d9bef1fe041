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

_STEPS: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
_MARK = "_counted_for_schedulers"
_HOW_TO = "See https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"


def count_optimizer_steps(optimizer: Any) -> None:
    """Make ``optimizer.step()`` count its calls, from 0 (idempotent for the wrapping)."""
    step = getattr(optimizer, "step", None)
    if step is None:
        return
    try:
        _STEPS[optimizer] = 0
    except TypeError:  # not weak-referenceable or not hashable: nothing to check against
        return
    if getattr(step, _MARK, False):
        return
    func = getattr(step, "__func__", None)
    owner = weakref.ref(optimizer)
    if func is None:  # already a plain function (replaced by someone): keep calling it
        inner = step

        def call(*args: Any, **kwargs: Any) -> Any:
            return inner(*args, **kwargs)
    else:  # a bound method: hold the function, not the optimizer (no reference cycle)

        def call(*args: Any, **kwargs: Any) -> Any:
            return func(owner(), *args, **kwargs)

    @functools.wraps(func or step)
    def counted(*args: Any, **kwargs: Any) -> Any:
        target = owner()
        if target is not None and target in _STEPS:
            _STEPS[target] += 1
        return call(*args, **kwargs)

    counted.__dict__.pop("__wrapped__", None)  # functools.wraps would keep a reference
    setattr(counted, _MARK, True)
    optimizer.step = counted


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
    elif _STEPS.get(optimizer, 1) == 0:
        warnings.warn(
            f"Detected call of `{name}.step()` before `optimizer.step()`. Call them in the "
            "opposite order, `optimizer.step()` before `scheduler.step()`: otherwise the first "
            f"value of the schedule is skipped. {_HOW_TO}",
            UserWarning,
            stacklevel=3,
        )
