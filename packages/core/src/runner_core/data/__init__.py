"""Data loading: samplers, collate functions and ``build_dataloader``.

Importing this package is cheap; the torch-backed names load on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_LAZY = {
    "DefaultSampler": "runner_core.data.sampler",
    "InfiniteSampler": "runner_core.data.sampler",
    "default_collate": "runner_core.data.collate",
    "pseudo_collate": "runner_core.data.collate",
    "build_dataloader": "runner_core.data.dataloader",
    "WorkerSeeder": "runner_core.data.dataloader",
}

__all__ = [
    "DefaultSampler",
    "InfiniteSampler",
    "WorkerSeeder",
    "build_dataloader",
    "default_collate",
    "pseudo_collate",
]

if TYPE_CHECKING:  # pragma: no cover
    from .collate import default_collate, pseudo_collate
    from .dataloader import WorkerSeeder, build_dataloader
    from .sampler import DefaultSampler, InfiniteSampler


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runner_core.data' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
