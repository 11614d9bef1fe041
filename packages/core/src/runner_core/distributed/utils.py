"""Rank, world size and collectives that cost nothing in a single process.

Every helper checks whether ``torch.distributed`` is initialised and, when it
is not, returns the single-process answer without importing anything heavy:
code written for many ranks runs unchanged on one.
"""

from __future__ import annotations

import functools
import os
import secrets
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    import torch

_F = TypeVar("_F", bound=Callable[..., Any])


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


def get_rank() -> int:
    """This process's global rank (0 in a single process)."""
    dist = _dist_module()
    return dist.get_rank() if dist is not None else 0


def get_world_size() -> int:
    """The number of processes (1 in a single process)."""
    dist = _dist_module()
    return dist.get_world_size() if dist is not None else 1


def get_local_rank() -> int:
    """The rank on this machine, from ``LOCAL_RANK`` set by the launcher (else 0)."""
    return int(os.environ.get("LOCAL_RANK", "0"))


def get_dist_info() -> tuple[int, int]:
    """``(rank, world_size)``, MMEngine's spelling."""
    return get_rank(), get_world_size()


def is_main_process() -> bool:
    """True on rank 0, and always in a single process."""
    return get_rank() == 0


def barrier() -> None:
    """Wait for every rank; nothing to wait for in a single process."""
    dist = _dist_module()
    if dist is not None:
        dist.barrier()


def broadcast_object(obj: Any, src: int = 0, group: Any = None) -> Any:
    """Return rank ``src``'s ``obj`` on every rank (any picklable object)."""
    dist = _dist_module()
    if dist is None:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=src, group=group)
    return box[0]


def all_gather_object(obj: Any, group: Any = None) -> list[Any]:
    """Every rank's ``obj``, in rank order, on every rank."""
    dist = _dist_module()
    if dist is None:
        return [obj]
    gathered: list[Any] = [None] * dist.get_world_size(group)
    dist.all_gather_object(gathered, obj, group=group)
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


def all_reduce(tensor: torch.Tensor, op: str = "sum") -> torch.Tensor:
    """Reduce ``tensor`` in place across ranks with ``'sum'`` or ``'mean'``; return it."""
    if op not in ("sum", "mean"):
        raise ValueError(f"all_reduce op must be 'sum' or 'mean', got {op!r}.")
    dist = _dist_module()
    if dist is None:
        return tensor
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    if op == "mean":
        world_size = dist.get_world_size()
        if tensor.is_floating_point() or tensor.is_complex():
            tensor.div_(world_size)
        else:
            tensor.floor_divide_(world_size)
    return tensor


def sync_random_seed() -> int:
    """A fresh random seed drawn on rank 0 and shared with every rank.

    Drawn from the OS (``secrets``), so asking for one does not move the
    global ``random`` / numpy / torch streams.
    """
    return int(broadcast_object(secrets.randbelow(2**31), src=0))


def master_only(func: _F) -> _F:
    """Run ``func`` on rank 0 only; other ranks get None back."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if is_main_process():
            return func(*args, **kwargs)
        return None

    return wrapper  # type: ignore[return-value]
