"""What an entry of a registry must be, so a plugin's wrong entry is caught by name.

A registry builds whatever callable a key gives: a class, or a function
that returns the object. An entry point that imports fine but names the
wrong thing (a string, a class that is no Hook) otherwise fails deep inside a
run, with an error that names no plugin. ``runner-cli plugins --check`` and
``runner-cli config check`` ask :func:`kind_problem`; the Runner checks what
it built (a function may return anything) when it builds hooks and loops.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

#: how errors name the base classes (their public import path)
_PUBLIC_NAMES = {"Hook": "runner_core.hooks.Hook", "BaseLoop": "runner_core.loop.BaseLoop"}
#: the group whose entries may be a role -> hook config mapping as well as a function
DEFAULT_HOOKS_GROUP = "runner.default_hooks"


def expected_base(group: str) -> type | None:
    """The class every class offered in ``group`` must subclass (None: any class)."""
    if group == "runner.hooks":
        from ..hooks import Hook

        return Hook
    if group == "runner.loops":
        from ..loop import BaseLoop

        return BaseLoop
    return None


def kind_problem(group: str, obj: Any) -> str | None:
    """What is wrong with ``obj`` as an entry of ``group`` ("is a str, ..."), or None.

    Cheap and safe: nothing is called. A function is accepted (it may return
    the right object); a class must subclass the group's base, if it has one.
    """
    if group == DEFAULT_HOOKS_GROUP:
        if callable(obj) or isinstance(obj, Mapping):
            return None
        return (
            f"is an object of type {type(obj).__name__} ({_short(obj)}), not a function returning a "
            "dict of role -> hook config"
        )
    if not callable(obj):
        return (
            f"is an object of type {type(obj).__name__} ({_short(obj)}), not a class or a function"
        )
    base = expected_base(group)
    if base is not None and inspect.isclass(obj) and not issubclass(obj, base):
        return (
            f"is the class {obj.__module__}.{obj.__qualname__}, which does not subclass "
            f"{_PUBLIC_NAMES.get(base.__name__, base.__qualname__)}"
        )
    return None


def _short(obj: Any) -> str:
    text = repr(obj)
    return text if len(text) <= 60 else text[:57] + "..."
