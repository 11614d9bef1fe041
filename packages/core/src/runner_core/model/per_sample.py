"""Split a batched prediction dict into one dict per sample.

A plain module's step returns ``{'pred': (B, C), 'gt': (B,)}`` where MMEngine's
models return one data sample per sample. Code that goes through samples
(``DumpResults``, test-time augmentation) splits such a dict first:
``list(batch)`` or ``zip(batch)`` would give its keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def per_sample(batch: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``{'pred': (B, C), 'gt': (B,)}`` -> B dicts ``{'pred': (C,), 'gt': ()}``.

    The batch size is the arrays' first dimension (a list's length only when
    there is no array); arrays of that size, and lists of that length
    (``img_path``), are split; anything else (a scalar, a batch-wide tuple such
    as ``img_shape``) is repeated in every sample. A tensor's row is copied: a
    view would pickle the whole batch's storage with each sample. Without one
    batch size the batch stays one entry.
    """
    size = batch_size(batch)
    if size is None:  # nothing batched, or no one batch size: one entry for the batch
        return [dict(batch)]

    def split(value: Any) -> bool:
        return (_is_array(value) or isinstance(value, list)) and len(value) == size

    return [{k: (_take(v, i) if split(v) else v) for k, v in batch.items()} for i in range(size)]


def batch_size(batch: Mapping[str, Any]) -> int | None:
    """The one first dimension of ``batch``'s arrays (of its lists, without arrays), or
    None when there is none or several."""
    sizes = {len(v) for v in batch.values() if _is_array(v)}
    if not sizes:
        sizes = {len(v) for v in batch.values() if isinstance(v, list)}
    return next(iter(sizes)) if len(sizes) == 1 else None


def _is_array(value: Any) -> bool:
    return getattr(value, "ndim", 0) >= 1


def _take(value: Any, index: int) -> Any:
    item = value[index]
    clone = getattr(item, "clone", None)  # a tensor's row is a view of the batch
    return clone() if callable(clone) and hasattr(item, "untyped_storage") else item
