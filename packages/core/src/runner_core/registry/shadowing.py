"""A registered name that hides, or is hidden by, the torch class a registry falls back to.

``type='SGD'`` finds torch's optimizer unless an installed plugin offers
``SGD`` in ``runner.optimizers``: then every config naming it silently builds
the plugin's. The registry warns when it loads such an entry point, and
``runner-cli config check`` / ``plugins --check`` say the same beforehand.
The other way round, a name that only torch answers in one registry while
another scope's registry of the tree registers its own (a sibling's class
built without its scope prefix) warns too: MMEngine raises KeyError there.
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


def fallback_over_scopes_message(registry: Any, key: str, obj: Any, scopes: list[str]) -> str:
    """Why ``key`` built torch's ``obj`` here although the registries of ``scopes`` (in the
    same tree) register their own ``key``, and how a config picks either one."""
    torch_name = public_path(obj)
    where = f" of scope {registry.scope!r}" if registry.parent is not None else ""
    theirs = ", ".join(f"{s!r}" for s in scopes)
    if len(scopes) == 1:
        owners = f"the registry of scope {theirs} has a {key!r} of its own"
    else:
        owners = f"the registries of scopes {theirs} have a {key!r} of their own"
    first = scopes[0]
    return (
        f"{key!r} is not registered in the {registry.name} registry{where}, so it resolves "
        f"to {torch_name} (the registry's fallback to torch); {owners}, which is not used "
        f"here. If you meant "
        f"that one, write type='{first}.{key}' or build with default_scope={first!r}; to "
        f"say torch's, write type={torch_name!r}."
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
