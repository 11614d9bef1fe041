"""MMEngine's ``mmengine.runner.loops`` import path for the standard loops.

The loops live in the ``runner-loops-standard`` plugin, which the core never
imports: each name here is looked up through that distribution's entry
points on first use, as a config's ``type='EpochBasedTrainLoop'`` is.
"""

from __future__ import annotations

from typing import Any

_STANDARD = ("EpochBasedTrainLoop", "IterBasedTrainLoop", "ValLoop", "TestLoop")

__all__ = list(_STANDARD)


def __getattr__(name: str) -> Any:
    if name not in _STANDARD:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from ..errors import RegistryError
    from ..registry import LOOPS

    try:
        return LOOPS.lookup(f"runner-loops-standard::{name}")
    except RegistryError as exc:
        raise ImportError(
            f"cannot import {name!r} from {__name__!r}: the standard loops come with the "
            "runner-loops-standard distribution, which is not installed "
            f"(pip install runner-loops-standard). {exc}"
        ) from None


def __dir__() -> list[str]:
    return sorted([*globals(), *_STANDARD])
