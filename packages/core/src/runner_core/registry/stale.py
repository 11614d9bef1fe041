"""Spot the classic plugin-author slip: an entry point added to ``pyproject.toml``
but the package not reinstalled.

Entry points are metadata written at install time, so a key added to the
source of an editable install is invisible until ``pip install -e`` runs
again. When a key is missing from a registry, the editable installs are
checked: if one's ``pyproject.toml`` declares the key in that group, the
error says to reinstall it. Only runs on that error path.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from .discovery import metadata_field


def editable_sources() -> list[tuple[str, Path]]:
    """(distribution name, source folder) of every editable install on ``sys.path``."""
    found = []
    for dist in metadata.distributions():
        try:
            raw = dist.read_text("direct_url.json")
        except Exception:
            continue
        if not raw:
            continue
        try:
            info = json.loads(raw)
        except ValueError:
            continue
        if not info.get("dir_info", {}).get("editable"):
            continue
        url = urlparse(info.get("url", ""))
        if url.scheme == "file":
            found.append((metadata_field(dist, "Name") or "?", Path(unquote(url.path))))
    return found


def declared_entry_points(pyproject: Path, group: str) -> dict[str, str]:
    """``[project.entry-points."<group>"]`` of a pyproject.toml (empty if unreadable)."""
    from ..project import load_toml

    try:
        data = load_toml(pyproject)
    except (OSError, ValueError):
        return {}
    table = data.get("project", {}).get("entry-points", {}).get(group, {})
    return dict(table) if isinstance(table, dict) else {}


def reinstall_hint(group: str, key: str) -> str:
    """A sentence naming the editable install whose source declares ``key`` in ``group``
    but whose installed metadata does not; '' when there is none."""
    for name, source in editable_sources():
        if key in declared_entry_points(source / "pyproject.toml", group):
            return (
                f" {source / 'pyproject.toml'} declares {key!r} in [project.entry-points."
                f'"{group}"], but the installed {name} does not offer it: entry points are '
                f"read when a package is installed, so reinstall it (pip install -e {source})."
            )
    return ""
