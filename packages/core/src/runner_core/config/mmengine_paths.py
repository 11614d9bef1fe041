"""MMEngine's import paths, as a config ported from MMEngine writes them, read as ours.

OpenMMLab's pure-Python configs import MMEngine's classes
(``from mmengine.hooks import LoggerHook``) and MMEngine's dumps write their
paths (``type='mmengine.hooks.LoggerHook'``). MMEngine's classes cannot run in
this Runner (its hooks are not ours), and MMEngine is usually not installed,
so such a path reads as the object this project offers under MMEngine's
public name: the same path under ``runner_core`` where it is mirrored, else the
root registries' entry of that name (the standard hooks and loops live in
plugins). Registry keys of that form are mapped by the registry itself.
"""

from __future__ import annotations

from typing import Any

_ROOT = "mmengine"


def is_mmengine_path(dotted: str) -> bool:
    """``'mmengine.hooks.LoggerHook'``: a path into MMEngine other than its config module
    (which a config file imports for real, see ``execution``)."""
    parts = dotted.split(".")
    return len(parts) >= 2 and parts[0] == _ROOT and parts[1] != "config"


def ours_for(dotted: str) -> Any:
    """The object this project offers for MMEngine's path ``dotted``, or None."""
    if not is_mmengine_path(dotted):
        return None
    from ..registry import ALL_REGISTRIES, import_dotted

    rest = dotted.partition(".")[2]
    try:
        return import_dotted(f"runner_core.{rest}")
    except (ImportError, AttributeError):
        pass
    name = rest.rpartition(".")[2]
    for registry in ALL_REGISTRIES.values():
        obj = registry.get(f"{_ROOT}.{name}")
        if obj is not None:
            return obj
    return None


def mmengine_path_hint(dotted: str) -> str:
    """Why MMEngine's path ``dotted`` found nothing here, and what to write instead."""
    from ..errors import did_you_mean
    from ..registry import ALL_REGISTRIES

    name = dotted.rpartition(".")[2]
    names = {key for registry in ALL_REGISTRIES.values() for key in registry.keys()}
    return (
        f"MMEngine's paths read as this project's own objects (the same path under "
        f"runner_core, or the registries' entry named {name!r}), and neither offers "
        f"{name!r}.{did_you_mean(name, names)} See the import table of "
        "docs/migration-from-mmengine.md, or name a registered class as a string "
        "(type='LoggerHook')"
    )
