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

from collections.abc import Iterator
from importlib import metadata
from typing import TYPE_CHECKING

from .scope import normal_name

if TYPE_CHECKING:
    from packaging.requirements import Requirement

__all__ = ["missing_requirements", "missing_requirements_sentence", "unmet_requirements"]

_COMPARED_PREFIX = "runner-"
_COMPARED = {"torch"}


def _compared(distribution: str) -> Iterator[tuple[Requirement, str | None]]:
    """Each runner package (or torch) that ``distribution`` requires, and its installed
    version (None: missing); nothing when ``distribution`` or ``packaging`` is missing."""
    try:
        from packaging.requirements import InvalidRequirement, Requirement
    except ImportError:
        return
    try:
        declared = metadata.distribution(distribution).requires or []
    except (metadata.PackageNotFoundError, OSError, ValueError):
        return
    for line in declared:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        name = normal_name(req.name)
        if not (name.startswith(_COMPARED_PREFIX) or name in _COMPARED):
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue  # an optional extra's, or another platform's
        try:
            installed: str | None = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            installed = None
        yield req, installed


def unmet_requirements(distribution: str) -> list[str]:
    """One sentence per runner package (or torch) that ``distribution`` requires in a
    version other than the installed one; [] when all fit, when ``distribution`` is not
    installed, or when ``packaging`` is not there to tell. A requirement that is not
    installed at all is :func:`missing_requirements`' (not another release: a missing one)."""
    return [
        f"{distribution} requires {req.name}{req.specifier}, but {req.name} "
        f"{installed} is installed"
        for req, installed in _compared(distribution)
        if installed is not None
        and req.specifier
        and not req.specifier.contains(installed, prereleases=True)
    ]


def missing_requirements(distribution: str) -> list[str]:
    """The runner packages (or torch) that ``distribution`` requires and that are not
    installed, each as ``pip install`` takes it: ``runner-hooks-standard[tensorboard]>=0.1,<0.2``."""
    found = []
    for req, installed in _compared(distribution):
        if installed is None:
            extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
            # lower bounds first, as people write them
            specs = sorted(req.specifier, key=lambda s: (not s.operator.startswith(">"), str(s)))
            found.append(f"{req.name}{extras}{','.join(str(s) for s in specs)}")
    return found


def missing_requirements_sentence(distribution: str, missing: list[str]) -> str:
    """``X requires A, which is not installed: pip install "A".`` for ``missing``."""
    verb = "is" if len(missing) == 1 else "are"
    command = " ".join(f'"{spec}"' for spec in missing)
    return (
        f"{distribution} requires {', '.join(missing)}, which {verb} not installed: "
        f"pip install {command}"
    )
