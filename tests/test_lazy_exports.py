"""Every name a package exports (``__all__``, lazily or not) resolves.

Lazy exports (``runner_core.lazy.lazy_exports``) defer the import to the first
attribute access, so a wrong module path in an export table fails only when a
user touches the name; this walks every package of every distribution and
touches each one.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

TOP_LEVEL = (
    "runner_core",
    "runner_loops_standard",
    "runner_hooks_standard",
    "runner_cli",
    "runner_trackers",
    "runner_sweep",
)


def _packages() -> list[str]:
    found = []
    for top in TOP_LEVEL:
        pkg = importlib.import_module(top)
        found.append(top)
        for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{top}."):
            if info.ispkg:
                found.append(info.name)
    return found


@pytest.mark.parametrize("package", _packages())
def test_every_exported_name_resolves(package: str) -> None:
    module = importlib.import_module(package)
    missing = []
    for name in getattr(module, "__all__", ()):
        try:
            getattr(module, name)
        except (AttributeError, ImportError) as exc:
            missing.append(f"{name}: {type(exc).__name__}: {exc}")
    assert not missing, f"{package} exports names that do not resolve: {missing}"
