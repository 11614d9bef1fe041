"""``runner-cli --version``: torch, every runner package and every plugin distribution.

Read from installed metadata only, so it is instant and works even when a
plugin (or torch itself) is broken.
"""

from __future__ import annotations

from importlib import metadata


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def collect_versions() -> list[tuple[str, str]]:
    """(name, version) for torch, the runner-* distributions and the plugin distributions."""
    from runner_core.registry import discovery

    rows: list[tuple[str, str]] = [("torch", _version("torch") or "not installed")]
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = discovery.metadata_field(dist, "Name") or ""
        if name.lower().replace("_", "-").startswith("runner-"):
            found[name] = discovery.metadata_field(dist, "Version") or "?"
    for entries in discovery.all_entries().values():
        for entry in entries:
            found.setdefault(entry.distribution, entry.version)
    rows += sorted(found.items(), key=lambda item: item[0].lower())
    return rows


def version_text(prog: str, own_version: str) -> str:
    """The text ``--version`` prints: one ``name version`` line per distribution."""
    lines = [f"{prog} {own_version}"]
    lines += [f"  {name} {version}" for name, version in collect_versions()]
    return "\n".join(lines)
