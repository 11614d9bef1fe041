"""Reading plugin entry points without importing the plugins.

Listing what is installed reads distribution metadata only; a module is
imported when, and only when, one of its keys is looked up. Results are cached
per ``sys.path`` so that adding a directory (a test's fake distribution, a
freshly installed plugin) is seen without a restart.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from ..errors import PluginError

GROUP_PREFIX = "runner."


@dataclass(frozen=True)
class PluginEntry:
    """One entry point: a registry key offered by one distribution."""

    group: str
    key: str
    target: str  # 'module:object'
    distribution: str
    version: str

    def describe(self) -> str:
        return f"{self.key} = {self.target!r} from {self.distribution} {self.version}"

    def where(self) -> str:
        """This entry point and its distribution, as errors about what it gave name them."""
        return (
            f"entry point {self.key!r} in group {self.group!r} of {self.distribution} "
            f"{self.version} (target {self.target!r})"
        )

    def load(self) -> Any:
        """Import the target; a failure names key, entry point and distribution."""
        module_name, _, attr = self.target.partition(":")
        try:
            obj = __import__(module_name, fromlist=["_"])
            for part in attr.split(".") if attr else []:
                obj = getattr(obj, part)
        except (Exception, SystemExit) as exc:  # a module that parses sys.argv on import exits
            from .requirements import (
                missing_requirements,
                missing_requirements_sentence,
                unmet_requirements,
            )

            missing = missing_requirements(self.distribution)
            unmet = unmet_requirements(self.distribution)
            why = (
                f" {missing_requirements_sentence(self.distribution, missing)}." if missing else ""
            ) + (
                f" It was likely made for other releases: {'; '.join(unmet)}. Install a "
                f"release of {self.distribution} made for the installed ones, or the versions "
                "it asks for."
                if unmet
                else ""
            )
            said = str(exc).rstrip()
            stop = "" if said.endswith((".", "?", "!")) else "."  # a wrapped error's own stop
            raise PluginError(
                f"The plugin entry point {self.key!r} in group {self.group!r} "
                f"(target {self.target!r}, distribution {self.distribution} {self.version}) "
                f"failed to load: {type(exc).__name__}: {said}{stop}{why} Other names keep working; "
                f"reinstall or fix {self.distribution}, or uninstall it "
                f"(`pip uninstall {self.distribution}`)."
            ) from exc
        return obj


_cache: dict[tuple[str, ...], dict[str, list[PluginEntry]]] = {}


def metadata_field(dist: metadata.Distribution, field: str) -> str | None:
    """The ``field`` (e.g. ``'Name'``) of ``dist``'s metadata; None for a broken
    distribution folder without it (an interrupted uninstall leaves such folders)."""
    return metadata_fields(dist, field)[0]


def metadata_fields(dist: metadata.Distribution, *fields: str) -> tuple[str | None, ...]:
    """The ``fields`` of ``dist``'s metadata (read once), None for each one missing.

    Asked first, not looked up blindly (nor through ``dist.name``/``dist.version``): for
    a missing field Python 3.12 and 3.13 warn (DeprecationWarning) and 3.14 raises
    KeyError, where 3.10 and 3.11 gave None; newer ``importlib_metadata`` also raise
    when the METADATA file is missing.
    """
    try:
        found = dist.metadata
    except OSError:  # importlib_metadata's MetadataNotFound: no METADATA file at all
        return tuple(None for _ in fields)
    return tuple(found[field] if field in found else None for field in fields)


def _scan() -> dict[str, list[PluginEntry]]:
    by_group: dict[str, list[PluginEntry]] = {}
    seen: set[tuple[str, str, str]] = set()
    for dist in metadata.distributions():
        try:
            eps = dist.entry_points
        except Exception:  # unreadable metadata: nothing to offer
            continue
        ours = [ep for ep in eps if ep.group.startswith(GROUP_PREFIX)]
        if not ours:  # most installed packages: their METADATA is never parsed
            continue
        name, version = metadata_fields(dist, "Name", "Version")
        name, version = name or "<unknown distribution>", version or "?"
        for ep in ours:
            # A distribution found twice on sys.path (editable + site) counts once.
            ident = (ep.group, ep.name, name)
            if ident in seen:
                continue
            seen.add(ident)
            by_group.setdefault(ep.group, []).append(
                PluginEntry(ep.group, ep.name, ep.value, name, version)
            )
    return by_group


def all_entries() -> dict[str, list[PluginEntry]]:
    """Every ``runner.*`` entry point, grouped, from metadata only."""
    token = tuple(sys.path)
    found = _cache.get(token)
    if found is None:
        _cache.clear()
        found = _cache[token] = _scan()
    return found


def entries(group: str) -> list[PluginEntry]:
    """The entry points of one group."""
    return all_entries().get(group, [])


def refresh() -> None:
    """Forget cached metadata (after installing or removing a plugin in-process)."""
    import importlib

    _cache.clear()
    importlib.invalidate_caches()
