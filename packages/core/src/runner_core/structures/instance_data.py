"""``InstanceData``: per-instance fields of one sample (boxes, labels, scores), one length.

Every data field has ``len()`` equal to the element's length, so a selection
(an index, a slice, a list or tensor of indices, a boolean mask) applies to
all of them at once, and elements of several samples concatenate with
``InstanceData.cat``.
"""

from __future__ import annotations

import sys
from collections.abc import Sized
from typing import TYPE_CHECKING, Any, overload

from .base_data_element import (
    _PRIVATE,
    BaseDataElement,
    DataElementError,
    DataElementIndexError,
    DataElementTypeError,
    DataElementValueError,
)

if TYPE_CHECKING:
    import numpy as np
    import torch

    if sys.version_info >= (3, 11):
        from typing import Self
    else:
        from typing_extensions import Self


class InstanceData(BaseDataElement):
    """Instances of one sample. Fields: tensors, arrays, lists, or objects with ``cat``."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _PRIVATE:
            super().__setattr__(name, value)
            return
        if not isinstance(value, Sized):
            raise DataElementError(
                f"InstanceData.{name} must have a length (a tensor, array, list, ...), got "
                f"{type(value).__name__}; put per-sample values in metainfo instead."
            )
        others = [k for k in self.keys() if k != name]
        expected = len(getattr(self, others[0])) if others else len(self)
        if (others or expected > 0) and len(value) != expected:
            raise DataElementError(
                f"InstanceData.{name} has length {len(value)}, but this InstanceData holds "
                f"{expected} instances; every data field needs one entry per instance."
            )
        super().__setattr__(name, value)

    __setitem__ = __setattr__

    @overload
    def __getitem__(self, item: str) -> Any: ...
    @overload
    def __getitem__(self, item: int | slice | list[Any] | np.ndarray | torch.Tensor) -> Self: ...
    def __getitem__(self, item: Any) -> Any:
        """A field by name, or the instances selected by an int, slice, indices or mask."""
        if isinstance(item, str):
            return getattr(self, item)
        import numpy as np
        import torch

        if isinstance(item, int):
            size = len(self)
            if not -size <= item < size:
                raise IndexError(f"Index {item} out of range for {size} instances.")
            item = slice(item, item + 1) if item != -1 else slice(-1, None)
        elif isinstance(item, (list, np.ndarray)):
            array = np.asarray(item)
            if array.dtype.kind == "f" and array.size == 0:
                array = array.astype(np.int64)  # [] selects nothing
            elif array.dtype == np.uint8:  # ambiguous, as for torch.uint8 below
                raise DataElementTypeError(
                    "InstanceData index arrays must not be uint8: it reads as a mask to old "
                    "torch indexing but as indices to numpy; use .astype(bool) for a mask or "
                    ".astype(np.int64) for indices."
                )
            elif array.dtype.kind in "iu":
                array = array.astype(np.int64)
            elif array.dtype != np.bool_:  # floats would be truncated into wrong rows
                raise DataElementIndexError(
                    f"InstanceData indices must be integers or a boolean mask, got an array of "
                    f"{array.dtype}. For a mask from scores, compare them: inst[scores > 0.5]."
                )
            item = torch.from_numpy(array)
        new = type(self)(metainfo=self.metainfo)
        if isinstance(item, slice):
            for key, value in self.items():
                new[key] = value[item]
            return new
        if not isinstance(item, torch.Tensor) or item.dim() != 1:
            raise DataElementTypeError(
                "InstanceData is indexed by a field name, an int, a slice, a list/array of "
                f"indices or a 1-D long or bool tensor; got {type(item).__name__}."
            )
        if item.dtype == torch.bool:
            if len(item) != len(self):
                raise DataElementError(
                    f"A boolean mask of length {len(item)} cannot select from {len(self)} instances."
                )
            indices = item.nonzero().view(-1)
        elif item.dtype in (torch.int64, torch.int32, torch.int16, torch.int8):
            indices = item.long()
        else:  # uint8 is ambiguous (a mask to torch's old indexing, indices to numpy)
            raise DataElementTypeError(
                f"InstanceData index tensors must be long or bool, got {item.dtype}; "
                "use .bool() for a mask or .long() for indices."
            )
        for key, value in self.items():
            new[key] = _take(value, indices)
        return new

    @staticmethod
    def cat(instances_list: list[InstanceData]) -> InstanceData:
        """Concatenate instances of elements with the same fields (metainfo of the first)."""
        if not instances_list or not all(isinstance(x, InstanceData) for x in instances_list):
            raise DataElementError("InstanceData.cat expects a non-empty list of InstanceData.")
        if len(instances_list) == 1:
            return instances_list[0]
        first = instances_list[0]
        keys = set(first.all_keys())
        for other in instances_list[1:]:
            if set(other.all_keys()) != keys:
                raise DataElementError(
                    f"InstanceData.cat needs the same fields in every element: {sorted(keys)} vs "
                    f"{sorted(other.all_keys())}."
                )
        import numpy as np
        import torch

        new = type(first)(metainfo=first.metainfo)
        for key in first.keys():
            values = [x[key] for x in instances_list]
            head = values[0]
            joined: Any
            if isinstance(head, torch.Tensor):
                joined = torch.cat(values, dim=0)
            elif isinstance(head, np.ndarray):
                joined = np.concatenate(values, axis=0)
            elif isinstance(head, (str, list, tuple)):
                joined = head[:]
                for value in values[1:]:
                    joined = joined + value
            elif hasattr(head, "cat"):
                joined = head.cat(values)
            else:
                raise DataElementValueError(
                    f"InstanceData.cat cannot concatenate field {key!r} of type "
                    f"{type(head).__name__}; give it a cat() method."
                )
            new[key] = joined
        return new

    def __len__(self) -> int:
        values = self.values()
        return len(values[0]) if values else 0


def _take(value: Any, indices: Any) -> Any:
    """``value`` at ``indices`` (a long tensor), for any field type InstanceData holds."""
    import numpy as np
    import torch

    if isinstance(value, torch.Tensor):
        return value[indices.to(value.device)]
    if isinstance(value, np.ndarray):
        return value[indices.cpu().numpy()]
    if isinstance(value, (str, list, tuple)):  # linear, not a quadratic chain of +
        picked = [value[i] for i in indices.tolist()]
        if isinstance(value, str):
            return "".join(picked)
        return picked if isinstance(value, list) else tuple(picked)
    if hasattr(value, "__getitem__") and hasattr(value, "cat"):
        parts = [value[i : i + 1] if i != -1 else value[-1:] for i in indices.tolist()]
        if not parts:
            return value[:0]
        if isinstance(value, (str, list, tuple)):
            joined = parts[0]
            for part in parts[1:]:
                joined = joined + part
            return joined
        return value.cat(parts)
    raise DataElementValueError(
        f"InstanceData cannot select from a field of type {type(value).__name__}; give it "
        "__getitem__ and cat()."
    )
