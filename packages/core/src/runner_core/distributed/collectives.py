"""``mmengine.dist``'s tensor and object collectives, and ``collect_results``.

Each is a no-op (or returns its input in a list) in a single process, as in
MMEngine. Tensors travel to the backend's device (``get_comm_device``) and
come back to their own, so a CPU tensor can go over NCCL. Functions that
change their argument in place also return it (MMEngine returns None), so
both spellings work.

``collect_results`` gathers with ``all_gather_object`` (over a gloo group for
``device='cpu'``) instead of MMEngine's shared temporary directory: no shared
file system is needed, and ``tmpdir`` is accepted and ignored.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from ..errors import RunnerError, did_you_mean
from .utils import (
    DistributedArgumentError,
    all_gather_object,
    all_reduce,
    cast_data_device,
    check_reduce_op,
    get_comm_device,
    get_cpu_group,
    get_dist_info,
    get_world_size,
)

if TYPE_CHECKING:  # pragma: no cover
    import torch
    from torch.distributed import ProcessGroup


class CollectDeviceError(RunnerError, NotImplementedError, ValueError):
    """``collect_results`` got a device it cannot gather on (MMEngine: NotImplementedError)."""


def all_gather(data: torch.Tensor, group: ProcessGroup | None = None) -> list[torch.Tensor]:
    """Every rank's ``data`` (same shape on each), in rank order; ``[data]`` in one process."""
    world_size = get_world_size(group)
    if world_size == 1:
        return [data]
    import torch
    import torch.distributed as dist

    on_device = cast_data_device(data, get_comm_device(group)).contiguous()
    gathered = [torch.empty_like(on_device) for _ in range(world_size)]
    dist.all_gather(gathered, on_device, group=group)
    return [tensor.to(data.device) for tensor in gathered]


def gather(
    data: torch.Tensor, dst: int = 0, group: ProcessGroup | None = None
) -> list[torch.Tensor]:
    """Every rank's ``data`` on rank ``dst`` (in rank order), ``[]`` on the others.

    ``[data]`` in one process. NCCL has no gather: use ``all_gather`` there.
    ``dst`` is a global rank, as in ``torch.distributed.gather``.
    """
    world_size = get_world_size(group)
    if world_size == 1:
        return [data]
    import torch
    import torch.distributed as dist

    on_device = cast_data_device(data, get_comm_device(group)).contiguous()
    is_dst = dist.get_rank() == dst
    gathered = [torch.empty_like(on_device) for _ in range(world_size)] if is_dst else None
    dist.gather(on_device, gathered, dst=dst, group=group)
    return [tensor.to(data.device) for tensor in gathered] if gathered is not None else []


def gather_object(data: Any, dst: int = 0, group: ProcessGroup | None = None) -> list[Any] | None:
    """Every rank's picklable ``data`` on rank ``dst`` (rank order), None on the others.

    ``[data]`` in one process. NCCL has no gather: use ``all_gather_object``.
    """
    world_size = get_world_size(group)
    if world_size == 1:
        return [data]
    import torch.distributed as dist

    gathered: list[Any] | None = [None] * world_size if dist.get_rank() == dst else None
    dist.gather_object(data, gathered, dst=dst, group=group)
    return gathered


def broadcast(data: torch.Tensor, src: int = 0, group: ProcessGroup | None = None) -> torch.Tensor:
    """Overwrite ``data`` in place with rank ``src``'s tensor (same shape on every rank).

    Returns ``data``; a no-op in one process.
    """
    if get_world_size(group) > 1:
        import torch.distributed as dist

        on_device = cast_data_device(data, get_comm_device(group)).contiguous()
        dist.broadcast(on_device, src=src, group=group)
        if on_device is not data:
            data.copy_(on_device)
    return data


def broadcast_object_list(
    data: list[Any], src: int = 0, group: ProcessGroup | None = None
) -> list[Any]:
    """Overwrite the items of the list ``data`` in place with rank ``src``'s (picklable) items.

    Every rank passes a list of the same length. Returns ``data``; a no-op in
    one process.
    """
    if not isinstance(data, list):
        raise DistributedArgumentError(
            f"broadcast_object_list: data must be a list (filled in place), got "
            f"{type(data).__name__}. To share one object use broadcast_object(obj, src)."
        )
    if get_world_size(group) > 1:
        import torch.distributed as dist

        dist.broadcast_object_list(data, src=src, group=group)
    return data


def all_reduce_dict(
    data: dict[str, torch.Tensor], op: str = "sum", group: ProcessGroup | None = None
) -> dict[str, torch.Tensor]:
    """Reduce every tensor of ``data`` across ranks in one collective; return ``data``.

    The values are replaced by the reduced tensors (every rank must hold the
    same keys and shapes). Tensors of different dtypes are reduced together in
    their common dtype, which they keep, as in MMEngine.
    """
    if not isinstance(data, dict):
        raise DistributedArgumentError(
            f"all_reduce_dict: data must be a dict of tensors, got {type(data).__name__}."
        )
    check_reduce_op(op)
    if get_world_size(group) == 1 or not data:
        return data
    import torch

    keys = sorted(data)
    flat = torch.cat([data[key].flatten() for key in keys])
    all_reduce(flat, op=op, group=group)
    pieces = torch.split(flat, [data[key].numel() for key in keys])
    for key, piece in zip(keys, pieces):
        data[key] = piece.reshape(data[key].shape)
    return data


def all_reduce_params(
    params: Iterable[torch.Tensor],
    coalesce: bool = True,
    bucket_size_mb: int = -1,
    op: str = "sum",
    group: ProcessGroup | None = None,
) -> None:
    """Reduce parameters or buffers (``.data``) in place across ranks.

    ``coalesce`` reduces them in few flat buffers: one per dtype, or chunks of
    ``bucket_size_mb`` MB when that is positive.
    """
    check_reduce_op(op)
    if get_world_size(group) == 1:
        return
    tensors = [param.data for param in params]
    if not coalesce:
        for tensor in tensors:
            all_reduce(tensor, op=op, group=group)
        return
    from torch._utils import _flatten_dense_tensors, _take_tensors, _unflatten_dense_tensors

    buckets: Iterable[list[torch.Tensor]]
    if bucket_size_mb > 0:
        buckets = _take_tensors(tensors, bucket_size_mb * 1024 * 1024)
    else:
        by_type: dict[str, list[torch.Tensor]] = {}
        for tensor in tensors:
            by_type.setdefault(tensor.type(), []).append(tensor)
        buckets = by_type.values()
    for bucket in buckets:
        flat = _flatten_dense_tensors(bucket)
        all_reduce(flat, op=op, group=group)
        for tensor, synced in zip(bucket, _unflatten_dense_tensors(flat, bucket)):
            tensor.copy_(synced)


# -- collect_results ----------------------------------------------------------------------
_HOLE = object()


def interleave_results(parts: Sequence[Sequence[Any]], size: int | None = None) -> list[Any]:
    """Merge per-rank result lists back into dataset order.

    Rank ``r`` of ``w`` saw samples ``r, r + w, r + 2w, ...`` (``DefaultSampler``),
    so taking one entry from each rank in turn restores the order. ``size`` (the
    dataset length) drops the padding samples that rounding up added at the end.
    """
    if size is not None and size < 0:
        raise ValueError(f"size must be >= 0 (the dataset length), got {size}.")
    if len(parts) == 1:  # one process: already in order; one copy, cut to size
        return list(itertools.islice(parts[0], size))
    merged = [
        item
        for column in itertools.zip_longest(*parts, fillvalue=_HOLE)
        for item in column
        if item is not _HOLE
    ]
    return merged if size is None else merged[:size]


#: Types that never hold a tensor: lists of them are copied without a call per item.
_PLAIN = frozenset({int, float, bool, str, bytes, complex, type(None)})


def results_to_cpu(obj: Any) -> Any:
    """Move tensors and data elements found in lists, tuples and dicts to the CPU.

    A data element (``InstanceData``, ``LabelData``, ...) becomes a new element
    from ``element.to('cpu')``, as MMEngine's ``BaseMetric`` does, so a metric
    that keeps elements gets CPU fields in ``compute_metrics``. Numbers and
    strings are passed over without a function call each, so a metric that
    keeps one number per sample pays next to nothing here.
    """
    import torch

    from ..structures.base_data_element import BaseDataElement

    return _moved(obj, torch.Tensor, BaseDataElement)


def _moved(obj: Any, tensor: type[Any], element: type[Any]) -> Any:
    kind = type(obj)
    if kind in _PLAIN:
        return obj
    if isinstance(obj, tensor):
        return obj.cpu()
    if isinstance(obj, element):
        return obj.to("cpu")
    if kind is list:
        return [v if type(v) in _PLAIN else _moved(v, tensor, element) for v in obj]
    if isinstance(obj, Mapping):
        moved = {key: _moved(value, tensor, element) for key, value in obj.items()}
        if kind is dict:
            return moved
        try:
            if isinstance(obj, MutableMapping):  # keeps a defaultdict's default_factory
                clone = copy.copy(obj)
                clone.update(moved)
                return clone
            return cast(Any, kind)(moved)
        except TypeError:  # a mapping type that cannot be rebuilt: a plain dict, as MMEngine
            return moved
    if isinstance(obj, (list, tuple)):
        items = [v if type(v) in _PLAIN else _moved(v, tensor, element) for v in obj]
        try:
            if hasattr(obj, "_fields"):  # a namedtuple: its fields moved too, its type kept
                return kind(*items)
            return kind(items)
        except TypeError:  # a subclass with another constructor
            return list(items) if isinstance(obj, list) else tuple(items)
    return obj


COLLECT_DEVICES = ("cpu", "gpu", "npu")


def collect_results(
    results: list[Any], size: int | None, device: str = "cpu", tmpdir: str | None = None
) -> list[Any] | None:
    """All ranks' ``results`` in dataset order, cut to ``size``, on rank 0; None elsewhere.

    Rank ``r`` is taken to hold samples ``r, r + w, ...`` (``DefaultSampler``),
    so the parts are interleaved, and ``size`` drops the padding samples (None
    keeps every gathered result).
    ``device='cpu'`` gathers over a gloo group with tensors moved to the CPU;
    ``'gpu'`` / ``'npu'`` over the default group. ``tmpdir`` is ignored.
    """
    if device not in COLLECT_DEVICES:
        lowered = str(device).lower()
        if lowered in COLLECT_DEVICES or lowered.startswith("cuda"):
            hint = f" Did you mean {'gpu' if lowered.startswith('cuda') else lowered!r}?"
        else:
            hint = did_you_mean(lowered, COLLECT_DEVICES)
        raise CollectDeviceError(
            f"collect_results: device={device!r} is not supported; choose 'cpu' (gather over "
            f"gloo) or 'gpu' (over the default process group).{hint}"
        )
    if device == "cpu":
        return collect_results_cpu(results, size, tmpdir)
    return collect_results_gpu(results, size)


def collect_results_cpu(
    result_part: list[Any], size: int | None, tmpdir: str | None = None
) -> list[Any] | None:
    """``collect_results`` over a gloo group, tensors moved to the CPU first.

    ``tmpdir`` is accepted for MMEngine code and ignored: nothing is written.
    """
    return _collect(result_part, size, on_cpu=True)


def collect_results_gpu(result_part: list[Any], size: int | None) -> list[Any] | None:
    """``collect_results`` over the default process group (NCCL on GPUs)."""
    return _collect(result_part, size, on_cpu=False)


def _collect(part: list[Any], size: int | None, on_cpu: bool) -> list[Any] | None:
    rank, world_size = get_dist_info()
    if world_size == 1:
        return interleave_results([part], size)
    if on_cpu:
        parts = all_gather_object(results_to_cpu(part), group=get_cpu_group())
    else:
        parts = all_gather_object(part)
    if rank != 0:
        return None
    return interleave_results(parts, size)


__all__ = [
    "CollectDeviceError",
    "all_gather",
    "all_reduce_dict",
    "all_reduce_params",
    "broadcast",
    "broadcast_object_list",
    "collect_results",
    "collect_results_cpu",
    "collect_results_gpu",
    "gather",
    "gather_object",
    "interleave_results",
    "results_to_cpu",
]
