"""A plugin's entry point named like the torch class a registry falls back to.

``type='SGD'`` finds torch's optimizer unless an installed plugin offers
``SGD`` in ``runner.optimizers``: then every config naming it silently builds
the plugin's. The registry warns when it loads such an entry point, and
``runner-cli config check`` / ``plugins --check`` say the same beforehand.
"""

from __future__ import annotations

import sys
from typing import Any


def shadow_message(registry: Any, entry: Any, hidden: Any) -> str:
    """Why ``entry`` (a plugin's entry point) hides ``hidden`` (torch's object of that name)
    in ``registry``, and how a config picks either one."""
    torch_name = public_path(hidden)
    dist = entry.distribution
    return (
        f"{entry.key!r} is the {entry.where()}, which hides {torch_name} (what the "
        f"{registry.name} registry gives for {entry.key!r} otherwise): every config with "
        f"type={entry.key!r} builds the plugin's object, not torch's. If you meant torch's, "
        f"write type={torch_name!r}; if you meant the plugin's, type='{dist}::{entry.key}' says "
        f"so; or ask {dist}'s authors to rename the entry point."
    )


def public_path(obj: Any) -> str:
    """``obj``'s dotted path through the shortest module that exports it (``torch.nn.Linear``,
    not ``torch.nn.modules.linear.Linear``)."""
    module = getattr(obj, "__module__", None) or "?"
    name = getattr(obj, "__qualname__", None) or repr(obj)
    parts = module.split(".")
    for end in range(1, len(parts) + 1):
        prefix = ".".join(parts[:end])
        if getattr(sys.modules.get(prefix), name, None) is obj:
            return f"{prefix}.{name}"
    return f"{module}.{name}"
