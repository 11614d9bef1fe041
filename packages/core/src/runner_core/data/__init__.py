"""Data loading: samplers, collate functions and ``build_dataloader``.

Importing this package is cheap; the torch-backed names load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner_core.lazy import lazy_exports

_LAZY = {
    "DefaultSampler": "runner_core.data.sampler",
    "InfiniteSampler": "runner_core.data.sampler",
    "is_endless": "runner_core.data.sampler",
    "default_collate": "runner_core.data.collate",
    "COLLATE_FUNCTIONS": "runner_core.data.collate",
    "worker_init_fn": "runner_core.data.worker_init",
    "pseudo_collate": "runner_core.data.collate",
    "build_dataloader": "runner_core.data.dataloader",
    "WorkerSeeder": "runner_core.data.dataloader",
}

__all__ = [
    "COLLATE_FUNCTIONS",
    "DefaultSampler",
    "InfiniteSampler",
    "WorkerSeeder",
    "build_dataloader",
    "default_collate",
    "is_endless",
    "pseudo_collate",
    "worker_init_fn",
]

if TYPE_CHECKING:  # pragma: no cover
    from .collate import COLLATE_FUNCTIONS, default_collate, pseudo_collate
    from .dataloader import WorkerSeeder, build_dataloader
    from .sampler import DefaultSampler, InfiniteSampler, is_endless
    from .worker_init import worker_init_fn
else:
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
