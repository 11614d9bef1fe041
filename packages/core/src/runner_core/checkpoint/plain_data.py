"""Plain data: what ``weights_only`` loading accepts, and converting the rest before a save.

The safe loader rebuilds only tensors and plain Python data; :func:`find_unsafe`
lists what it would refuse (``save_checkpoint`` warns with that list) and
:func:`to_safe` converts the usual offenders (numpy arrays and scalars,
paths, namedtuples, dict subclasses).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any

import torch

__all__ = ["find_unsafe", "same_data", "to_safe"]


_SAFE_LEAVES: frozenset[type] = frozenset(
    (
        str,
        bytes,
        int,
        float,
        bool,
        complex,
        type(None),
        torch.Size,
        torch.dtype,
        torch.device,
        torch.layout,
        torch.memory_format,
    )
)


def find_unsafe(obj: Any, _where: str = "checkpoint") -> list[str]:
    """List ``"checkpoint['a'][0]: numpy.ndarray"`` for every value weights_only would refuse.

    A conservative check on exact types: dict/OrderedDict/list/tuple/set
    containers, tensors and the leaves in ``_SAFE_LEAVES``. Classes allowed
    through ``torch.serialization.add_safe_globals`` are accepted.
    """
    allowed = _extra_safe_types()
    found: list[str] = []
    stack: list[tuple[str, Any]] = [(_where, obj)]
    while stack:
        where, value = stack.pop()
        kind = type(value)
        if isinstance(value, torch.Tensor) or kind in _SAFE_LEAVES or kind in allowed:
            continue
        if kind in (dict, OrderedDict):
            for key, item in value.items():
                if type(key) not in _SAFE_LEAVES:
                    found.append(f"{where} key {key!r}: {_type_name(key)}")
                if type(item) not in _SAFE_LEAVES:  # name only what needs a look
                    stack.append((f"{where}[{key!r}]", item))
        elif kind in (list, tuple, set, frozenset):
            if _all_leaves(value):  # a message hub's float histories: thousands per save
                continue
            items = sorted(value, key=repr) if kind in (set, frozenset) else value
            stack.extend(
                (f"{where}[{i}]", item)
                for i, item in enumerate(items)
                if type(item) not in _SAFE_LEAVES
            )
        else:
            found.append(f"{where}: {_type_name(value)}")
    return sorted(found)


def _all_leaves(items: Any) -> bool:
    """Whether a container holds only plain leaves (checked in C: ``set`` of their types)."""
    return set(map(type, items)) <= _SAFE_LEAVES


def _extra_safe_types() -> set[type]:
    get = getattr(torch.serialization, "get_safe_globals", None)
    if get is None:
        return set()
    return {g for g in get() if isinstance(g, type)}


def _type_name(value: Any) -> str:
    kind = type(value)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def to_safe(obj: Any) -> Any:
    """Return a copy of ``obj`` that loads under ``weights_only=True``.

    Numpy arrays become tensors (``torch.from_numpy``; call ``.numpy()`` to
    get them back, e.g. for ``np.random.set_state``), numpy scalars become
    Python numbers, ``pathlib`` paths become ``str``, namedtuples become
    tuples and dict subclasses (other than OrderedDict) become dicts.
    Containers are rebuilt recursively; anything else is returned unchanged
    (:func:`find_unsafe` tells you what is left).
    """
    if isinstance(obj, torch.Tensor) or type(obj) in _SAFE_LEAVES:
        return obj
    if isinstance(obj, OrderedDict):
        rebuilt = OrderedDict((to_safe(k), to_safe(v)) for k, v in obj.items())
        # a state dict's _metadata (module versions, read by load_state_dict) loads safely too
        rebuilt.__dict__.update({k: to_safe(v) for k, v in vars(obj).items()})
        return rebuilt
    if isinstance(obj, dict):
        return {to_safe(k): to_safe(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return list(obj) if _all_leaves(obj) else [to_safe(v) for v in obj]
    if isinstance(obj, tuple):  # namedtuples become plain tuples
        return tuple(obj) if _all_leaves(obj) else tuple(to_safe(v) for v in obj)
    if isinstance(obj, set | frozenset):
        return {to_safe(v) for v in obj}
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    module = type(obj).__module__ or ""
    if module.split(".")[0] == "numpy":
        import numpy as np

        if isinstance(obj, np.ndarray):
            if obj.dtype == object:
                return to_safe(obj.tolist())
            return torch.from_numpy(np.ascontiguousarray(obj).copy())
        if isinstance(obj, np.generic):
            return obj.item()
    if isinstance(obj, bool | int | float | str):  # subclasses, e.g. IntEnum
        for base in (bool, int, float, str):
            if isinstance(obj, base):
                return base(obj)
    return obj


def same_data(saved: Any, current: Any) -> bool:
    """Whether ``saved`` (as a checkpoint gives it back) and ``current`` are the same
    data once both are as :func:`to_safe` makes them: tensors by dtype, shape and values
    (on the CPU), containers item by item.

    ``==`` on a dict holding a tensor raises ("Boolean value of Tensor with more than one
    value is ambiguous"), and a dataset's ``metainfo`` often holds a numpy palette,
    saved here as a tensor and by MMEngine as an array: a resume compares them with this.
    """
    return _same(to_safe(saved), to_safe(current))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (
            isinstance(a, torch.Tensor)
            and isinstance(b, torch.Tensor)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and torch.equal(a.cpu(), b.cpu())
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    try:
        return bool(a == b)
    except Exception:  # an object whose == gives no truth value: not the same
        return False
