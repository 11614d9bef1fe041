"""Rank, world size, devices and collectives that cost nothing in a single process.

Every helper checks whether ``torch.distributed`` is initialised and, when it
is not, returns the single-process answer without importing anything heavy:
code written for many ranks runs unchanged on one. Names, arguments and
single-process answers follow ``mmengine.dist``; ``group=None`` is the default
(world) group everywhere.
"""

from __future__ import annotations

import functools
import os
import secrets
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..errors import RunnerError, did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    import torch
    from torch.distributed import ProcessGroup

_F = TypeVar("_F", bound=Callable[..., Any])


class DistributedArgumentError(RunnerError, TypeError, AssertionError):
    """A distributed helper got an argument of the wrong kind.

    A ``TypeError``, and an ``AssertionError`` as well: MMEngine asserts the
    type in the same places (``broadcast_object_list``, ``all_reduce_dict``).
    """


class DistributedStateError(RunnerError, AssertionError):
    """A one-time setup step ran twice (MMEngine asserts: ``AssertionError``)."""


def _dist_module() -> Any:
    """``torch.distributed`` when a process group is up, else None.

    A process group can only exist if torch was imported, so a process that
    never imported torch answers without importing it.
    """
    if "torch" not in sys.modules:
        return None
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist
    return None


def is_distributed() -> bool:
    """True when a ``torch.distributed`` process group is initialised."""
    return _dist_module() is not None


def get_default_group() -> Any:
    """The default (world) process group; None when ``torch.distributed`` is not initialised.

    MMEngine raises in a single process; None is what every helper here takes
    to mean the default group, so single-process code can pass it on unchanged.
    """
    dist = _dist_module()
    return None if dist is None else dist.distributed_c10d._get_default_group()


def get_backend(group: ProcessGroup | None = None) -> str | None:
    """The backend of ``group`` (default: the world), lower case; None in a single process."""
    dist = _dist_module()
    if dist is None:
        return None
    return str(dist.get_backend(group))


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank in ``group`` (default: the world); 0 in a single process."""
    dist = _dist_module()
    return dist.get_rank(group) if dist is not None else 0


def get_world_size(group: ProcessGroup | None = None) -> int:
    """The number of processes in ``group`` (default: the world); 1 in a single process."""
    dist = _dist_module()
    return dist.get_world_size(group) if dist is not None else 1


#: The group of this machine's processes, made by ``init_local_group`` (MMEngine's name).
_LOCAL_GROUP: Any = None


def init_local_group(node_rank: int, num_gpus_per_node: int) -> None:
    """Create the group of the processes on this machine, for ``get_local_rank/size``.

    Collective: every rank calls it. One group is made per node (torch requires
    every rank to take part in making each group), and this node's is kept.
    A no-op in a single process.
    """
    global _LOCAL_GROUP
    dist = _dist_module()
    if dist is None:
        return
    if _LOCAL_GROUP is not None:
        raise DistributedStateError(
            "init_local_group was already called in this process: the local process group "
            "exists (get_local_group() returns it). Call it once, after init_dist."
        )
    for name, value in (("node_rank", node_rank), ("num_gpus_per_node", num_gpus_per_node)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise DistributedArgumentError(
                f"init_local_group: {name}={value!r} is not valid; give a whole number "
                "(node_rank >= 0, num_gpus_per_node >= 1: the processes per machine)."
            )
    if num_gpus_per_node < 1:
        raise DistributedArgumentError(
            f"init_local_group: num_gpus_per_node={num_gpus_per_node} must be at least 1 "
            "(the number of processes on each machine)."
        )
    world_size = dist.get_world_size()
    nodes = (world_size + num_gpus_per_node - 1) // num_gpus_per_node
    if node_rank >= nodes:
        raise DistributedArgumentError(
            f"init_local_group: node_rank={node_rank} is out of range: {world_size} processes "
            f"at {num_gpus_per_node} per machine make {nodes} node(s), numbered from 0."
        )
    for node in range(nodes):
        ranks = list(
            range(node * num_gpus_per_node, min((node + 1) * num_gpus_per_node, world_size))
        )
        group = dist.new_group(ranks)
        if node == node_rank:
            _LOCAL_GROUP = group


def get_local_group() -> Any:
    """This machine's process group (``init_local_group``); None in a single process."""
    if not is_distributed():
        return None
    if _LOCAL_GROUP is None:
        raise RunnerError(
            "The local process group does not exist yet: call "
            "init_local_group(node_rank, num_gpus_per_node) on every rank first."
        )
    return _LOCAL_GROUP


def get_local_rank() -> int:
    """The rank on this machine: in the local group if made, else ``LOCAL_RANK`` (else 0).

    ``LOCAL_RANK`` is set by torchrun (and the slurm and mpi launchers), so the answer is
    right before the process group exists too, when the device is picked.
    """
    dist = _dist_module()
    if dist is not None and _LOCAL_GROUP is not None:
        return int(dist.get_rank(_LOCAL_GROUP))
    return int(os.environ.get("LOCAL_RANK", "0"))


def get_local_size() -> int:
    """The number of processes on this machine (1 in a single process).

    From the local group if ``init_local_group`` made one, else from
    ``LOCAL_WORLD_SIZE``, which torchrun (and the slurm and mpi launchers) set.
    """
    dist = _dist_module()
    if dist is not None and _LOCAL_GROUP is not None:
        return int(dist.get_world_size(_LOCAL_GROUP))
    # before the process group exists too, as get_local_rank reads LOCAL_RANK
    if "LOCAL_WORLD_SIZE" in os.environ:
        return int(os.environ["LOCAL_WORLD_SIZE"])
    if dist is None:
        return 1
    raise RunnerError(
        "get_local_size: this launcher did not set LOCAL_WORLD_SIZE and no local process "
        "group exists: call init_local_group(node_rank, num_gpus_per_node) on every rank first."
    )


def get_dist_info(group: ProcessGroup | None = None) -> tuple[int, int]:
    """``(rank, world_size)`` in ``group``, MMEngine's spelling; ``(0, 1)`` in one process."""
    return get_rank(group), get_world_size(group)


def is_main_process(group: ProcessGroup | None = None) -> bool:
    """True on rank 0 of ``group``, and always in a single process."""
    return get_rank(group) == 0


def barrier(group: ProcessGroup | None = None) -> None:
    """Wait for every rank of ``group``; nothing to wait for in a single process."""
    dist = _dist_module()
    if dist is not None:
        dist.barrier(group)


# -- devices ---------------------------------------------------------------------------
#: Backends whose collectives need tensors on an accelerator, and which one.
_BACKEND_DEVICES = {"nccl": "cuda", "smddp": "cuda", "hccl": "npu", "cncl": "mlu", "mccl": "musa"}


def get_comm_device(group: ProcessGroup | None = None) -> torch.device:
    """The device ``group``'s backend communicates from: CUDA for NCCL, else the CPU.

    Collectives move tensors there and back, so a CPU tensor can be reduced
    over NCCL and a CUDA tensor over gloo.
    """
    import torch

    kind = _BACKEND_DEVICES.get(get_backend(group) or "")
    if kind is None:
        return torch.device("cpu")
    return torch.device(kind, getattr(torch, kind).current_device())


def get_data_device(data: Any) -> torch.device:
    """The one device of the tensors in ``data`` (a tensor, or a list / dict of them).

    Collectives use it to put results back where the input was.
    """
    import torch

    if isinstance(data, torch.Tensor):
        return data.device
    if isinstance(data, Mapping):
        items: Iterable[Any] = data.values()
    elif isinstance(data, Iterable) and not isinstance(data, str):
        items = data
    else:
        raise DistributedArgumentError(
            "get_data_device: data must be a tensor, or a sequence or dict of tensors, "
            f"but got {type(data).__name__}: {data!r:.80}."
        )
    device = None
    for item in items:
        current = get_data_device(item)
        if device is None:
            device = current
        elif current != device:
            raise ValueError(
                f"get_data_device: the tensors in data are on different devices ({device} and "
                f"{current}); move them to one device first."
            )
    if device is None:
        raise ValueError("get_data_device: data is empty, so it has no device.")
    return device


def cast_data_device(data: Any, device: torch.device, out: Any = None) -> Any:
    """``data`` with every tensor moved to ``device`` (tensors already there are kept).

    Containers are rebuilt with their own type. With ``out`` (of the same
    structure), the moved values are also copied into ``out``'s tensors in place.
    """
    import numpy as np
    import torch

    if out is not None:
        if type(data) is not type(out):
            raise DistributedArgumentError(
                f"cast_data_device: out must be of the same type as data, but data is "
                f"{type(data).__name__} and out is {type(out).__name__}."
            )
        if isinstance(out, set):
            raise DistributedArgumentError(
                "cast_data_device: out must not be a set (its items have no order to match)."
            )
    if isinstance(data, torch.Tensor):
        moved = data if data.device == device else data.to(device)
        if out is not None:
            out.copy_(moved)
        return moved
    if isinstance(data, Mapping):
        if out is not None and len(data) != len(out):
            raise ValueError(
                f"cast_data_device: data and out must have the same length, got {len(data)} "
                f"and {len(out)}."
            )
        moved_map = {
            key: cast_data_device(value, device, None if out is None else out[key])
            for key, value in data.items()
        }
        if not moved_map:
            raise ValueError("cast_data_device: data is empty.")
        return cast(Any, type(data))(moved_map)
    if isinstance(data, Iterable) and not isinstance(data, (str, np.ndarray)):
        if out is None:
            moved_list = [cast_data_device(value, device) for value in data]
        else:
            moved_list = [cast_data_device(v, device, o) for v, o in zip(data, out)]
        if not moved_list:
            raise ValueError("cast_data_device: data is empty.")
        return cast(Any, type(data))(moved_list)
    raise DistributedArgumentError(
        "cast_data_device: data must be a tensor, or a list or dict of tensors, but got "
        f"{type(data).__name__}: {data!r:.80}."
    )


def broadcast_object(obj: Any, src: int = 0, group: ProcessGroup | None = None) -> Any:
    """Return rank ``src``'s ``obj`` on every rank (any picklable object)."""
    dist = _dist_module()
    if dist is None:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=src, group=group)
    return box[0]


def all_gather_object(data: Any, group: ProcessGroup | None = None) -> list[Any]:
    """Every rank's ``data`` (any picklable object), in rank order, on every rank."""
    dist = _dist_module()
    if dist is None:
        return [data]
    gathered: list[Any] = [None] * dist.get_world_size(group)
    dist.all_gather_object(gathered, data, group=group)
    return gathered


_CPU_GROUPS: dict[int, Any] = {}


def get_cpu_group() -> Any:
    """A gloo group over all ranks, for collectives that should stay off the GPU.

    None (the default group) in a single process or when the default backend is
    already gloo. Created once, collectively: every rank must call it.
    """
    dist = _dist_module()
    if dist is None or dist.get_backend() == "gloo":
        return None
    key = id(dist.distributed_c10d._get_default_group())
    if key not in _CPU_GROUPS:
        _CPU_GROUPS[key] = dist.new_group(backend="gloo")
    return _CPU_GROUPS[key]


#: ``all_reduce``'s operations (MMEngine's set); 'mean' is a sum divided by the world size.
REDUCE_OPS = ("sum", "mean", "product", "min", "max", "band", "bor", "bxor")


def check_reduce_op(op: Any) -> str:
    """``op`` lower-cased, or a ValueError naming the operations (before any rank waits)."""
    name = op.lower() if isinstance(op, str) else ""
    if name not in REDUCE_OPS:
        raise ValueError(
            f"all_reduce: op={op!r} is not a reduce operation; choose one of "
            f"{', '.join(REDUCE_OPS)} (any case)." + did_you_mean(str(op).lower(), REDUCE_OPS)
        )
    return name


def all_reduce(
    data: torch.Tensor, op: str = "sum", group: ProcessGroup | None = None
) -> torch.Tensor:
    """Reduce ``data`` in place across the ranks of ``group`` and return it.

    ``op`` is one of ``REDUCE_OPS``, in any case. The tensor travels to the
    backend's device and back (a CPU tensor over NCCL works). An integer
    tensor's 'mean' is truncated toward zero, as MMEngine's; a bool tensor's is
    True where any rank's is. A no-op in a single process (MMEngine returns
    None; this returns ``data`` too).
    """
    name = check_reduce_op(op)
    dist = _dist_module()
    if dist is None:
        return data
    world_size = dist.get_world_size(group)
    if world_size <= 1:
        return data
    import torch

    on_device = cast_data_device(data, get_comm_device(group))
    if name == "mean":
        dist.all_reduce(on_device, op=dist.ReduceOp.SUM, group=group)
        if on_device.is_floating_point() or on_device.is_complex() or on_device.dtype == torch.bool:
            # bool: the sum is an OR, and a non-zero quotient copies back as True (MMEngine's)
            data.copy_(torch.true_divide(on_device, world_size))
        else:  # exact, where MMEngine's float32 detour rounds large sums
            data.copy_(torch.div(on_device, world_size, rounding_mode="trunc"))
    else:
        dist.all_reduce(on_device, op=getattr(dist.ReduceOp, name.upper()), group=group)
        if on_device is not data:
            data.copy_(on_device)
    return data


def sync_random_seed(group: ProcessGroup | None = None) -> int:
    """A fresh random seed drawn on ``group``'s first rank and shared with every rank of it.

    Drawn from the OS (``secrets``), so asking for one does not move the
    global ``random`` / numpy / torch streams.
    """
    dist = _dist_module()
    src = 0 if dist is None or group is None else dist.get_global_rank(group, 0)
    return int(broadcast_object(secrets.randbelow(2**31), src=src, group=group))


def master_only(func: _F) -> _F:
    """Run ``func`` on rank 0 only; other ranks get None back."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if is_main_process():
            return func(*args, **kwargs)
        return None

    return wrapper  # type: ignore[return-value]
