"""Distributed helpers: ``mmengine.dist``'s API (no-ops in one process).

``from mmengine import dist`` becomes ``from runner_core import distributed as
dist``: rank, world size, groups and devices, tensor and object collectives,
``collect_results``, ``init_dist``.

Importing this package is cheap: torch is imported only when a helper needs it,
and the collectives and launcher names load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner_core.lazy import lazy_exports

from .utils import (
    REDUCE_OPS,
    DistributedArgumentError,
    DistributedStateError,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast_object,
    cast_data_device,
    get_backend,
    get_comm_device,
    get_cpu_group,
    get_data_device,
    get_default_group,
    get_dist_info,
    get_local_group,
    get_local_rank,
    get_local_size,
    get_rank,
    get_world_size,
    init_local_group,
    is_distributed,
    is_main_process,
    master_only,
    sync_random_seed,
)

_LAZY = {
    "CollectDeviceError": ".collectives",
    "all_gather": ".collectives",
    "all_reduce_dict": ".collectives",
    "all_reduce_params": ".collectives",
    "broadcast": ".collectives",
    "broadcast_object_list": ".collectives",
    "collect_results": ".collectives",
    "collect_results_cpu": ".collectives",
    "collect_results_gpu": ".collectives",
    "gather": ".collectives",
    "gather_object": ".collectives",
    "infer_launcher": ".launch",
    "init_dist": ".launch",
}

__all__ = [
    "REDUCE_OPS",
    "CollectDeviceError",
    "DistributedArgumentError",
    "DistributedStateError",
    "all_gather",
    "all_gather_object",
    "all_reduce",
    "all_reduce_dict",
    "all_reduce_params",
    "barrier",
    "broadcast",
    "broadcast_object",
    "broadcast_object_list",
    "cast_data_device",
    "collect_results",
    "collect_results_cpu",
    "collect_results_gpu",
    "gather",
    "gather_object",
    "get_backend",
    "get_comm_device",
    "get_cpu_group",
    "get_data_device",
    "get_default_group",
    "get_dist_info",
    "get_local_group",
    "get_local_rank",
    "get_local_size",
    "get_rank",
    "get_world_size",
    "infer_launcher",
    "init_dist",
    "init_local_group",
    "is_distributed",
    "is_main_process",
    "master_only",
    "sync_random_seed",
]

if TYPE_CHECKING:  # pragma: no cover
    from .collectives import (
        CollectDeviceError,
        all_gather,
        all_reduce_dict,
        all_reduce_params,
        broadcast,
        broadcast_object_list,
        collect_results,
        collect_results_cpu,
        collect_results_gpu,
        gather,
        gather_object,
    )
    from .launch import infer_launcher, init_dist
else:
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
