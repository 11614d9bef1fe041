"""Distributed helpers: rank, world size and collectives (no-ops in one process).

Importing this package is cheap: torch is imported only when a helper needs it.
"""

from __future__ import annotations

from .utils import (
    all_gather_object,
    all_reduce,
    barrier,
    broadcast_object,
    get_cpu_group,
    get_dist_info,
    get_local_rank,
    get_rank,
    get_world_size,
    is_distributed,
    is_main_process,
    master_only,
    sync_random_seed,
)

__all__ = [
    "all_gather_object",
    "all_reduce",
    "barrier",
    "broadcast_object",
    "get_cpu_group",
    "get_dist_info",
    "get_local_rank",
    "get_rank",
    "get_world_size",
    "is_distributed",
    "is_main_process",
    "master_only",
    "sync_random_seed",
]
