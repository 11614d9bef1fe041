"""How a list of samples becomes a batch.

``default_collate`` is torch's (tensors, numbers and arrays are stacked into
batched tensors); ``pseudo_collate`` is MMEngine's list-keeping variant for
samples whose parts cannot be stacked (images of different sizes, data
samples with boxes, ...).
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Mapping, Sequence
from typing import Any, cast

from ..errors import RunnerError
from ..registry import FUNCTIONS

#: MMEngine's older name for the FUNCTIONS registry (``mmengine.dataset.COLLATE_FUNCTIONS``),
#: where ``collate_fn=dict(type=...)`` names are looked up; the same object, not a copy.
COLLATE_FUNCTIONS = FUNCTIONS


class CollateError(RunnerError, ValueError):
    """The samples of a batch do not line up (a RuntimeError, as MMEngine's collate raises)."""


class CollateKeyError(CollateError, KeyError):
    """A sample lacks a key the batch's first sample has (a KeyError, as in MMEngine)."""


def default_collate(data_batch: Sequence[Any]) -> Any:
    """Torch's ``default_collate``: stack tensors, numbers and arrays; recurse into dicts and sequences.

    Data elements (``runner_core.structures``, e.g. a model's ``data_samples``,
    or ``mmengine.structures``' made by an OpenMMLab library's transforms)
    are not stacked: their column is returned as it came, as MMEngine's
    ``default_collate`` returns it (a list under a dict key, a tuple in a
    tuple sample).
    """
    if _COLLATE is None:
        collate_fn_map()
    return _COLLATE(data_batch, collate_fn_map=_COLLATE_MAP)


_COLLATE_MAP: dict[Any, Any] | None = None
_COLLATE: Any = None  # torch's collate, imported with the map (not once per batch)


def collate_fn_map() -> dict[Any, Any]:
    """torch's type -> collate function map, plus data elements kept as lists.

    Built (importing torch's collate and the data element module) on first
    use; ``build_dataloader`` asks for it, so the first batch does not pay it.
    """
    global _COLLATE_MAP, _COLLATE
    if _COLLATE_MAP is None:
        from torch.utils.data._utils.collate import collate, default_collate_fn_map

        from ..structures.base_data_element import BaseDataElement

        # torch's documented extension point; torch's own default_collate is left as it is
        _COLLATE_MAP = {
            **default_collate_fn_map,
            BaseDataElement: _keep_column,
            _ForeignDataElement: _keep_column,
        }
        _COLLATE = collate
    return _COLLATE_MAP


def _keep_column(batch: Sequence[Any], *, collate_fn_map: Any = None) -> Sequence[Any]:
    return batch


class _ForeignDataElement(ABC):  # noqa: B024 - an interface check, nothing to implement
    """Any class with a data element's interface, e.g. ``mmengine.structures``' own.

    Samples made by an OpenMMLab library's transforms hold MMEngine's data
    elements (the library imports mmengine), not ours: torch's collate would
    refuse them. torch looks unknown types up with ``isinstance`` against the
    map's keys, so this class matches them by their methods (cached per class
    by ``ABCMeta``), without importing mmengine.
    """

    @classmethod
    def __subclasshook__(cls, other: type) -> Any:
        if cls is _ForeignDataElement and all(
            callable(getattr(other, name, None)) for name in _DATA_ELEMENT_API
        ):
            return True
        return NotImplemented


#: the methods by which a data element from another package is recognised
_DATA_ELEMENT_API = ("set_metainfo", "metainfo_keys", "set_data", "all_keys", "new")


def pseudo_collate(data_batch: Sequence[Any]) -> Any:
    """Transpose a list of samples without stacking anything, as MMEngine's does.

    A list of dicts becomes a dict of lists, with the first sample's keys (a
    key only later samples have is dropped, as in MMEngine); a list of tuples
    or lists becomes a list of tuples, one per field (a namedtuple of tuples
    for namedtuples), recursively; any other element type is returned as the
    batch it came in. Tensors stay separate tensors.
    """
    if not isinstance(data_batch, Sequence) or isinstance(data_batch, (str, bytes)):
        raise TypeError(
            f"pseudo_collate expects a list of samples, got {type(data_batch).__name__}."
        )
    if len(data_batch) == 0:
        return []
    first = data_batch[0]
    if isinstance(first, Mapping):
        keys = list(first)
        for i, sample in enumerate(data_batch):
            if not isinstance(sample, Mapping) or any(key not in sample for key in keys):
                got = sorted(sample) if isinstance(sample, Mapping) else type(sample).__name__
                raise CollateKeyError(
                    f"pseudo_collate: sample {i} has keys {got}, but sample 0 has {sorted(keys)}; "
                    f"every sample of a batch needs sample 0's keys."
                )
        collated = {key: pseudo_collate([sample[key] for sample in data_batch]) for key in keys}
        try:
            return cast(Any, type(first))(collated)
        except TypeError:
            return collated
    if isinstance(first, Sequence) and not isinstance(first, (str, bytes)):
        length = len(first)
        for i, sample in enumerate(data_batch):
            if len(sample) != length:
                raise CollateError(
                    f"pseudo_collate: sample {i} has {len(sample)} elements, but sample 0 has "
                    f"{length}; every sample of a batch needs the same length."
                )
        columns = [pseudo_collate(column) for column in zip(*data_batch)]
        if isinstance(first, tuple) and hasattr(first, "_fields"):  # namedtuple
            return type(first)(*columns)
        if isinstance(first, (tuple, list)):
            return columns
        try:  # another sequence type: rebuilt from its columns where it can be
            return cast(Any, type(first))(columns)
        except TypeError:
            return columns
    return data_batch


__all__ = [
    "COLLATE_FUNCTIONS",
    "CollateError",
    "CollateKeyError",
    "default_collate",
    "pseudo_collate",
]
