"""``@copies_checkpoint``: what lets the Runner memory-map a checkpoint it loads.

``load_from`` and resume map the file instead of reading it, so the weights are
never held twice. A mapping does not survive code that keeps the checkpoint's
tensors or writes the same file again ("load, edit, save back": SIGBUS, and an
empty file). The Runner therefore maps only when every
``after_load_checkpoint`` it will call, and its ``load_checkpoint``, say they
copy what they need and leave the file alone. The mark sits on the function,
so a subclass that overrides the method is not covered by its base's mark.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_MARK = "__runner_copies_checkpoint__"


def copies_checkpoint(method: F) -> F:
    """Mark ``after_load_checkpoint`` (or a Runner's ``load_checkpoint``) as one that copies
    what it needs out of the checkpoint (``load_state_dict`` copies) and neither keeps its
    tensors nor rewrites its file, so the Runner may memory-map the file."""
    setattr(method, _MARK, True)
    return method


def leaves_checkpoint_file(obj: Any, method: str) -> bool:
    """Whether ``obj.method`` is marked :func:`copies_checkpoint`, or ``obj`` has none."""
    if method in getattr(obj, "__dict__", {}):  # set on the instance: not a marked method
        return bool(getattr(obj.__dict__[method], _MARK, False))
    found = getattr(type(obj), method, None)
    return found is None or bool(getattr(found, _MARK, False))


__all__ = ["copies_checkpoint", "leaves_checkpoint_file"]
