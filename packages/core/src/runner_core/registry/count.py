"""``count_registered_modules`` and ``traverse_registry_tree``: what every registry tree
offers, as MMEngine reports it.

Entry points are counted from metadata, so the report imports no plugin.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from .registry import Registry
from .scope import subtree


def _tree_info(registry: Registry, verbose: bool) -> list[dict[str, Any]]:
    from ..logging import print_log

    found: list[dict[str, Any]] = []
    for node in subtree(registry):
        keys = set(node.module_dict)
        if node.parent is None or node.parent.group != node.group:  # a child shares them
            keys.update(e.key for e in node.entry_points())
        names = sorted(keys)
        found.append({"num_modules": len(names), "scope": node.scope, "modules": names})
        if verbose:
            print_log(
                f"Find {len(names)} modules in {node.scope}'s {node.name!r} registry",
                logger="current",
            )
    return found


def traverse_registry_tree(registry: Registry, verbose: bool = True) -> list[dict[str, Any]]:
    """One ``{'num_modules', 'scope', 'modules'}`` per registry of the tree ``registry`` is
    in, from its root down (MMEngine's, with the names listed rather than grouped by folder)."""
    return _tree_info(registry.root, verbose)


#: where MMEngine's variable name differs from ours (its keys in the scan)
_MMENGINE_NAMES = {"EVALUATORS": "EVALUATOR"}


def count_registered_modules(save_path: str | Path | None = None, verbose: bool = True) -> dict:
    """Scan every root registry and its children; write ``modules_statistic_results.json``
    into ``save_path`` when given.

    Returns ``{'scan_date': ..., 'registries': {'MODELS': [{'num_modules', 'scope',
    'modules'}, ...], ...}}`` with one entry per registry of each tree.
    """
    from ..logging import print_log
    from .root import ALL_REGISTRIES

    scan = {
        "scan_date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
        "registries": {
            _MMENGINE_NAMES.get(name, name): _tree_info(registry, verbose)
            for name, registry in ALL_REGISTRIES.items()
        },
    }
    if verbose:
        print_log(f"Finish registry analysis, got: {scan}", logger="current")
    if save_path is not None:
        path = Path(save_path) / "modules_statistic_results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(scan, indent=2), encoding="utf-8")
        print_log(f"Result has been saved to {path}", logger="current")
    return scan
