"""Lazy package exports: names that load their module on first access.

Packages re-export torch-backed names without importing torch at
``import`` time (PEP 562 module ``__getattr__``)::

    _LAZY = {"Runner": "runner_core.runner", "LoadReport": ".state"}

    if TYPE_CHECKING:  # type checkers cannot follow __getattr__: give them the names
        from runner_core.runner import Runner as Runner
        from .state import LoadReport as LoadReport
    else:  # hidden from them, so a misspelled import is an error, not Any
        __getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())

A module path starting with ``.`` is relative to the package.
tests/test_lazy_exports.py checks every table against its TYPE_CHECKING block.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(
    package: str, names: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the ``__getattr__`` and ``__dir__`` of ``package``."""

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module, package if module.startswith(".") else None), name)
        namespace[name] = value  # later lookups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace.get("__all__", ()), *names})

    return __getattr__, __dir__
