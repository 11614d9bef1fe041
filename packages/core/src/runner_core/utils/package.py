"""Installed packages: where they live, and installing one with pip (MMEngine's ``package_utils``).

OpenMMLab tools find a package's bundled configs through
``get_installed_path('mmdet')`` and install missing extras with
``install_package``. MMEngine 0.10.7 reads this through ``pkg_resources``,
which recent setuptools no longer ships (its ``get_installed_path`` then
raises ModuleNotFoundError); this reads ``importlib.metadata``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Sequence

from ..errors import add_note
from .misc import is_installed

__all__ = ["call_command", "get_installed_path", "install_package", "is_installed"]


def _module_dir(module: str) -> str | None:
    """The folder an importable ``module`` lives in (its package folder), or None."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return str(list(spec.submodule_search_locations)[0])
    return os.path.dirname(spec.origin) if spec.origin else None


def _top_level_names(dist: importlib.metadata.Distribution, package: str) -> list[str]:
    """The modules ``dist`` installs, the one named like the distribution first."""
    names = [n for n in (dist.read_text("top_level.txt") or "").split() if n]
    for file in dist.files or ():
        parts = file.parts
        if len(parts) == 2 and parts[1] == "__init__.py" and parts[0] not in names:
            names.append(parts[0])
    guess = package.replace("-", "_")
    for candidate in (guess, guess.lower()):
        if candidate in names:
            names.remove(candidate)
        names.insert(0, candidate)
    return list(dict.fromkeys(names))


def get_installed_path(package: str) -> str:
    """The folder ``package`` (a distribution or module name) is installed in.

    A distribution whose module has another name (``mmcv-full``: ``mmcv``)
    gives its module's folder; an editable install gives the source folder; a
    module found only on ``sys.path`` (PYTHONPATH) gives its folder.
    """
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError as exc:
        spec = importlib.util.find_spec(package)
        if spec is None:
            add_note(
                exc,
                f"get_installed_path: {package!r} is neither an installed distribution nor an "
                f"importable module; install it (`pip install {package}`) or check the name.",
            )
            raise
        if spec.origin is None:
            raise RuntimeError(
                f"{package} is a namespace package, which is invalid for `get_installed_path`: "
                "pass the name of a regular package inside it."
            ) from None
        return os.path.dirname(spec.origin)
    location = str(dist.locate_file(""))
    possible = os.path.join(location, package)
    if os.path.exists(possible):
        return possible
    names = _top_level_names(dist, package)
    for name in names:
        if os.path.isdir(os.path.join(location, name)):
            return os.path.join(location, name)
    for name in names:
        found = _module_dir(name)
        if found is not None:
            return found
    raise ValueError(
        f"can not infer the module name of {package}: the distribution lists no top-level "
        "module that can be found; pass the module's name instead."
    )


def call_command(cmd: Sequence[str]) -> None:
    """Run ``cmd`` (a list of arguments, no shell); raise CalledProcessError if it fails."""
    import subprocess

    subprocess.check_call(list(cmd))


def install_package(package: str) -> None:
    """``pip install package`` into this interpreter's environment, unless it is installed.

    MMEngine runs ``python -m pip``, whichever ``python`` is first on PATH;
    this uses the running interpreter (``sys.executable``), so the package
    lands where it will be imported from.
    """
    if not is_installed(package):
        call_command([sys.executable, "-m", "pip", "install", package])
