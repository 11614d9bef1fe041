"""A plugin made for another release of the runner packages, found from its metadata.

``pip install -U runner-core`` installs the new core even when a plugin
declares ``runner-core<0.2`` (pip only warns), and the plugin then fails
with an ``AttributeError`` deep inside it. Its own declared requirements say
why: this module compares them with what is installed, so the load error and
``runner-cli plugins --check`` can name the mismatch. Only the runner
distributions and torch are compared (what a plugin is built against); the
rest is ``pip check``'s job. Needs ``packaging`` to read the specifiers and
says nothing without it (an error path's hint, not a dependency of the core).
"""

from __future__ import annotations

from importlib import metadata

__all__ = ["unmet_requirements"]

_COMPARED_PREFIX = "runner-"
_COMPARED = {"torch"}


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def unmet_requirements(distribution: str) -> list[str]:
    """One sentence per runner package (or torch) that ``distribution`` requires in a
    version other than the installed one, or requires and is missing; [] when all fit,
    when ``distribution`` is not installed, or when ``packaging`` is not there to tell."""
    try:
        from packaging.requirements import InvalidRequirement, Requirement
    except ImportError:
        return []
    try:
        declared = metadata.distribution(distribution).requires or []
    except (metadata.PackageNotFoundError, OSError, ValueError):
        return []
    found = []
    for line in declared:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        name = _normal(req.name)
        if not (name.startswith(_COMPARED_PREFIX) or name in _COMPARED):
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue  # an optional extra's, or another platform's
        try:
            installed: str | None = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed is None:
            found.append(f"{distribution} requires {req}, which is not installed")
        elif req.specifier and not req.specifier.contains(installed, prereleases=True):
            found.append(
                f"{distribution} requires {req.name}{req.specifier}, but {req.name} "
                f"{installed} is installed"
            )
    return found
