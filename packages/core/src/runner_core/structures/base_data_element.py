"""``BaseDataElement``: a bag of named fields split into metainfo and data.

Metainfo (image size, scale factor, class names) describes a sample and is
copied along when a new element is derived; data (boxes, labels, masks) is
what devices and selections act on. A name is one kind or the other, never
both: setting an attribute adds a data field, ``set_metainfo`` metainfo.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..errors import RunnerError

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from typing import Self
    else:
        from typing_extensions import Self

_PRIVATE = ("_metainfo_fields", "_data_fields")


class DataElementError(RunnerError, AssertionError):
    """A field does not fit its data element (MMEngine asserts, hence AssertionError too)."""


class DataElementTypeError(DataElementError, TypeError):
    """An index or a value of the wrong type (MMEngine asserts here)."""


class DataElementIndexError(DataElementTypeError, IndexError):
    """Float indices; MMEngine passes them on to torch, which raises IndexError."""


class DataElementValueError(DataElementError, ValueError):
    """A field that cannot be selected from or concatenated (MMEngine: ValueError)."""


class BaseDataElement:
    """Fields of one sample; ``metainfo`` and data, accessed as attributes.

    ``BaseDataElement(metainfo=dict(img_shape=(4, 4)), bboxes=tensor)``.
    """

    def __init__(self, *, metainfo: dict | None = None, **kwargs: Any) -> None:
        self._metainfo_fields: set[str] = set()
        self._data_fields: set[str] = set()
        if metainfo is not None:
            self.set_metainfo(metainfo)
        if kwargs:
            self.set_data(kwargs)

    # -- setting fields ---------------------------------------------------------------
    def set_metainfo(self, metainfo: dict) -> None:
        """Add or replace metainfo fields (deep-copied: metainfo is never shared)."""
        if not isinstance(metainfo, dict):
            raise DataElementError(
                f"{type(self).__name__}.set_metainfo expects a dict, got {type(metainfo).__name__}."
            )
        for name, value in copy.deepcopy(metainfo).items():
            self.set_field(value, name, field_type="metainfo")

    def set_data(self, data: dict) -> None:
        """Add or replace data fields, as attribute assignments do."""
        if not isinstance(data, dict):
            raise DataElementError(
                f"{type(self).__name__}.set_data expects a dict, got {type(data).__name__}."
            )
        for name, value in data.items():
            setattr(self, name, value)

    def update(self, instance: BaseDataElement) -> None:
        """Take every metainfo and data field of ``instance``."""
        if not isinstance(instance, BaseDataElement):
            raise DataElementError(f"update expects a data element, got {type(instance).__name__}.")
        self.set_metainfo(dict(instance.metainfo_items()))
        self.set_data(dict(instance.items()))

    def set_field(self, value: Any, name: str, dtype: Any = None, field_type: str = "data") -> None:
        """Set ``name`` as a ``'data'`` or ``'metainfo'`` field (optionally type-checked)."""
        if field_type not in ("metainfo", "data"):
            raise DataElementError(f"field_type must be 'metainfo' or 'data', got {field_type!r}.")
        if dtype is not None and not isinstance(value, dtype):
            raise DataElementError(f"{name!r} must be {dtype}, got {type(value).__name__}.")
        own, other = (
            (self._metainfo_fields, self._data_fields)
            if field_type == "metainfo"
            else (self._data_fields, self._metainfo_fields)
        )
        if name in other:
            kind = "data" if field_type == "metainfo" else "metainfo"
            raise AttributeError(
                f"Cannot set {name!r} as a {field_type} field of {type(self).__name__}: it is "
                f"already a {kind} field. Delete it first or use another name."
            )
        added = name not in own
        own.add(name)
        try:
            object.__setattr__(self, name, value)
        except BaseException:
            if added:  # a property setter refused the value: no half-set field
                own.discard(name)
            raise

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _PRIVATE:
            if name in self.__dict__:
                raise AttributeError(f"{name} is a private attribute of {type(self).__name__}.")
            object.__setattr__(self, name, value)
            return
        self.set_field(value, name, field_type="data")

    def __delattr__(self, name: str) -> None:
        if name in _PRIVATE:
            raise AttributeError(f"{name} is a private attribute of {type(self).__name__}.")
        object.__delattr__(self, name)
        self._metainfo_fields.discard(name)
        self._data_fields.discard(name)

    __delitem__ = __delattr__

    if TYPE_CHECKING:
        # Fields are set at runtime, so type checkers cannot know them: reading one is
        # ``Any`` to them. At runtime a missing field is Python's own AttributeError.
        def __getattr__(self, name: str) -> Any: ...

    # -- reading fields ---------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def pop(self, *args: Any) -> Any:
        """Remove a field and return it; ``pop(key, default)`` as ``dict.pop``."""
        if not 1 <= len(args) <= 2:  # MMEngine asserts: a DataElementError too
            raise DataElementTypeError(f"pop expects 1 or 2 arguments, got {len(args)}.")
        name = args[0]
        if name in self._metainfo_fields or name in self._data_fields:
            value = getattr(self, name)
            delattr(self, name)
            return value
        if len(args) == 2:
            return args[1]
        raise KeyError(f"{args[0]} is not a field of {type(self).__name__}.")

    def __contains__(self, item: str) -> bool:
        return item in self._data_fields or item in self._metainfo_fields

    def keys(self) -> list[str]:
        """Data field names; the ``_name`` storage behind a property ``name`` is not listed."""
        cls = type(self)
        hidden = {f"_{k}" for k in self._data_fields if isinstance(getattr(cls, k, None), property)}
        return [k for k in self._data_fields if k not in hidden]

    def metainfo_keys(self) -> list[str]:
        return list(self._metainfo_fields)

    def values(self) -> list[Any]:
        return [getattr(self, k) for k in self.keys()]

    def metainfo_values(self) -> list[Any]:
        return [getattr(self, k) for k in self.metainfo_keys()]

    def all_keys(self) -> list[str]:
        return self.metainfo_keys() + self.keys()

    def all_values(self) -> list[Any]:
        return self.metainfo_values() + self.values()

    def items(self) -> Iterator[tuple[str, Any]]:
        for k in self.keys():
            yield k, getattr(self, k)

    def metainfo_items(self) -> Iterator[tuple[str, Any]]:
        for k in self.metainfo_keys():
            yield k, getattr(self, k)

    def all_items(self) -> Iterator[tuple[str, Any]]:
        yield from self.metainfo_items()
        yield from self.items()

    @property
    def metainfo(self) -> dict:
        return dict(self.metainfo_items())

    # -- deriving elements ------------------------------------------------------------
    def new(self, *, metainfo: dict | None = None, **kwargs: Any) -> Self:
        """An element of the same type: this metainfo (or ``metainfo``), these data (or ``kwargs``)."""
        new = type(self)()
        new.set_metainfo(dict(self.metainfo_items()) if metainfo is None else metainfo)
        new.set_data(kwargs if kwargs else dict(self.items()))
        return new

    def clone(self) -> Self:
        """A shallow copy: the same data objects, a copy of the metainfo."""
        clone = type(self)()
        clone.set_metainfo(dict(self.metainfo_items()))
        clone.set_data(dict(self.items()))
        return clone

    def _map(self, fn: Callable[[Any], Any]) -> Self:
        """A new element whose data fields are ``fn(value)`` (nested elements recurse)."""
        new = self.new()
        new.set_data({k: fn(v) for k, v in self.items()})
        return new

    def to(self, *args: Any, **kwargs: Any) -> Self:
        """Apply ``.to(*args, **kwargs)`` to every data field that has it."""
        return self._map(lambda v: v.to(*args, **kwargs) if hasattr(v, "to") else v)

    def cpu(self) -> Self:
        return self._map(lambda v: v.cpu() if hasattr(v, "cpu") else v)

    def cuda(self) -> Self:
        return self._map(lambda v: v.cuda() if hasattr(v, "cuda") else v)

    def npu(self) -> Self:
        """Tensors (and nested elements) to the Ascend NPU; needs ``torch_npu``."""
        return self._to_accelerator("npu")

    def mlu(self) -> Self:
        """Tensors (and nested elements) to the Cambricon MLU; needs ``torch_mlu``."""
        return self._to_accelerator("mlu")

    def musa(self) -> Self:
        """Tensors (and nested elements) to the Moore Threads GPU; needs ``torch_musa``."""
        return self._to_accelerator("musa")

    def _to_accelerator(self, method: str) -> Self:
        """MMEngine's rule for vendor devices: only tensors and nested elements move, so
        a missing vendor extension is the tensor's AttributeError, not a silent no-op."""
        import torch

        def move(v: Any) -> Any:
            if not isinstance(v, (torch.Tensor, BaseDataElement)):
                return v
            if not hasattr(v, method):
                raise AttributeError(
                    f"{type(self).__name__}.{method}(): tensors have no .{method}() here; "
                    f"install and import torch_{method} (the vendor's PyTorch extension) first."
                )
            return getattr(v, method)()

        return self._map(move)

    def detach(self) -> Self:
        return self._map(lambda v: v.detach() if hasattr(v, "detach") else v)

    def numpy(self) -> Self:
        """Tensors become numpy arrays (detached, on the CPU)."""
        import torch

        def convert(v: Any) -> Any:
            if isinstance(v, torch.Tensor):
                return v.detach().cpu().numpy()
            return v.numpy() if isinstance(v, BaseDataElement) else v

        return self._map(convert)

    def to_tensor(self) -> Self:
        """Numpy arrays become tensors."""
        import numpy as np
        import torch

        def convert(v: Any) -> Any:
            if isinstance(v, np.ndarray):
                return torch.from_numpy(v)
            return v.to_tensor() if isinstance(v, BaseDataElement) else v

        return self._map(convert)

    def to_dict(self) -> dict:
        """Every field in a plain dict; nested elements become dicts too."""
        return {
            k: v.to_dict() if isinstance(v, BaseDataElement) else v for k, v in self.all_items()
        }

    def __repr__(self) -> str:
        """MMEngine's layout: META INFORMATION then DATA FIELDS, nested elements indented."""
        return _describe(self)


def _indent(text: str, spaces: int) -> str:
    """Indent every line of ``text`` but the first."""
    first, *rest = text.split("\n")
    return "\n".join([first, *(" " * spaces + line for line in rest)])


def _describe(obj: Any) -> str:
    if isinstance(obj, dict):
        return "".join(f"\n{key}: {_indent(_describe(value), 4)}" for key, value in obj.items())
    if isinstance(obj, BaseDataElement):
        body = "\n\n    META INFORMATION" + _indent(_describe(obj.metainfo), 4)
        body += "\n\n    DATA FIELDS" + _indent(_describe(dict(obj.items())), 4)
        return f"<{type(obj).__name__}({body}\n) at {hex(id(obj))}>"
    return repr(obj)
