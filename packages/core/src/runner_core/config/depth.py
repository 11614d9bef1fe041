"""Config nesting depth: a clear error instead of a RecursionError deep in the run.

Configs are copied, merged, printed and dumped by recursive code; a value
nested hundreds of levels deep (``--cfg-options a.a.a...=1`` 600 levels, or a
generated config gone wrong) would end as "unexpected RecursionError" at some
arbitrary step. Real configs nest a handful of levels; :data:`MAX_DEPTH`
leaves ample room.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError

__all__ = ["MAX_DEPTH", "check_depth"]

MAX_DEPTH = 100


def check_depth(value: Any, where: str, limit: int = MAX_DEPTH) -> None:
    """Raise ConfigError when dicts/lists in ``value`` nest deeper than ``limit`` (iterative walk)."""
    stack: list[tuple[Any, int, str]] = [(value, 0, "")]
    while stack:
        node, depth, path = stack.pop()
        if depth > limit:
            shown = path if len(path) <= 80 else f"{path[:40]}...{path[-30:]}"
            raise ConfigError(
                f"{where} nests deeper than {limit} levels (at {shown or 'the top'}); configs "
                "are never that deep, so this is most likely a generated or mistyped value. "
                "Flatten it, or check the key and brackets you passed."
            )
        if isinstance(node, Mapping):
            items = dict.items(node) if isinstance(node, dict) else node.items()
            for key, child in items:  # dict.items: reading a ConfigDict would import
                stack.append((child, depth + 1, f"{path}.{key}" if path else str(key)))
        elif isinstance(node, (list, tuple)):
            for i, child in enumerate(node):
                stack.append((child, depth + 1, f"{path}[{i}]"))
