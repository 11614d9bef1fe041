"""Which step of an inferencer gets each keyword of a call.

``__call__`` takes the keywords of all four steps at once; each class names
the keywords of each step in a set, and a keyword must belong to one step
only, or where to send it would be ambiguous.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import did_you_mean
from .errors import InferencerDefinitionError, InferencerError

#: the class attributes naming each step's keywords, in the order of the steps
STEPS = ("preprocess_kwargs", "forward_kwargs", "visualize_kwargs", "postprocess_kwargs")


def check_kwarg_sets(cls: type) -> None:
    """Refuse a class whose keyword sets are not sets of names, or share a name.

    Run when the class is created, as MMEngine checks it, so the mistake shows
    at import rather than at the first call.
    """
    owner: dict[str, str] = {}
    for step in STEPS:
        names = getattr(cls, step)
        if not isinstance(names, (set, frozenset)) or not all(isinstance(n, str) for n in names):
            raise InferencerDefinitionError(
                f"{cls.__name__}.{step} must be a set of keyword names, got "
                f"{type(names).__name__}: {names!r}. Write e.g. {step} = {{'show', 'wait_time'}}."
            )
        for name in sorted(names):
            if name in owner:
                raise InferencerDefinitionError(
                    f"{cls.__name__}: the keyword {name!r} is in both {owner[name]} and {step}, "
                    "so __call__ could not tell which step to give it to. Keep it in one of them."
                )
            owner[name] = step


def dispatch_kwargs(owner: Any, kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    """Split ``kwargs`` into the keywords of each step, in :data:`STEPS` order.

    ``owner`` is the inferencer (or its class): its sets are read as attributes, so
    an instance that widened a set in ``__init__`` is honoured, as in MMEngine.

    A keyword no step declares is an error naming it, with the closest known
    ones; MMEngine raises a ValueError there too.
    """
    cls = owner if isinstance(owner, type) else type(owner)
    sets = {step: getattr(owner, step) for step in STEPS}
    step_of = {name: i for i, step in enumerate(STEPS) for name in sets[step]}
    unknown = [name for name in kwargs if name not in step_of]
    if unknown:
        hints = "".join(did_you_mean(name, step_of) for name in unknown)
        listing = "; ".join(
            f"{step.removesuffix('_kwargs')}: {', '.join(sorted(sets[step])) or '-'}"
            for step in STEPS
        )
        shown = ", ".join(repr(name) for name in unknown)
        raise InferencerError(
            f"{cls.__name__}() got unknown keyword argument(s) {shown}.{hints} It takes these "
            f"keywords besides inputs, return_datasamples and batch_size ({listing}). A "
            "subclass declares more in its class attributes " + ", ".join(STEPS) + "."
        )
    parts: tuple[dict[str, Any], ...] = ({}, {}, {}, {})
    for name, value in kwargs.items():
        parts[step_of[name]][name] = value
    return parts
