"""Dataset wrappers: concatenate, repeat, and over-sample rare classes (MMEngine's three).

Each takes datasets or their configs (built from ``DATASETS``), forwards
``metainfo`` and ``get_data_info``, and supports ``lazy_init`` like
``BaseDataset``. Each is a ``torch.utils.data.Dataset``; ``ConcatDataset`` is
a ``torch.utils.data.ConcatDataset`` too, as MMEngine's.
"""

from __future__ import annotations

import bisect
import copy
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from torch.utils.data import ConcatDataset as TorchConcatDataset
from torch.utils.data import Dataset

from ..errors import BuildError, ConfigError, ConfigTypeError
from .base_dataset import DatasetError, DatasetTypeError, force_full_init


def _build(dataset: Any, wrapper: str, argument: str) -> Any:
    """Build a wrapped dataset, its errors at ``<key>.<argument>`` (``argument``:
    ``'dataset'``, ``'datasets[1]'``): the key the wrapper is built from
    (``train_dataloader.dataset``), else the ``wrapper``'s name."""
    from ..registry import current_build_path

    where = f"{current_build_path() or wrapper}.{argument}"
    if isinstance(dataset, Mapping):
        from ..registry import DATASETS

        return DATASETS.build(dataset, _key_path=where)
    if (
        isinstance(dataset, (str, bytes, list, tuple))  # a name, or configs in extra brackets
        or not hasattr(dataset, "__getitem__")
        or not hasattr(dataset, "__len__")
    ):
        raise BuildError(
            f"{where} must be a dataset or a dataset config dict(type=...), got "
            f"{type(dataset).__name__}."
        )
    return dataset


def _full_init(dataset: Any) -> None:
    init = getattr(dataset, "full_init", None)
    if callable(init):
        init()


class _Wrapper(Dataset):
    _fully_initialized: bool = False
    _metainfo: dict  # set by each wrapper's __init__

    if TYPE_CHECKING:  # every wrapper defines it

        def full_init(self) -> None: ...

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self._metainfo)

    def __getitem__(self, idx: int) -> Any:
        if not self._fully_initialized:
            self.full_init()
        dataset, index = self._locate(idx)
        return dataset[index]

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        dataset, index = self._locate(idx)
        return dataset.get_data_info(index)

    def _locate(self, idx: int) -> tuple[Any, int]:  # pragma: no cover - abstract
        """The wrapped dataset and its index for ``idx``, from ``_get_ori_dataset_idx``."""
        raise NotImplementedError

    def get_subset_(self, indices: int | Sequence[int]) -> None:
        """Not supported on a wrapper (as in MMEngine): take the subset before wrapping."""
        raise NotImplementedError(
            f"{type(self).__name__} does not support get_subset_/get_subset: call them on the "
            "wrapped dataset(s) first, then wrap the subsets."
        )

    def get_subset(self, indices: int | Sequence[int]) -> Any:
        """Not supported on a wrapper (as in MMEngine): take the subset before wrapping."""
        self.get_subset_(indices)


def _same_meta(first: Any, other: Any) -> bool:
    """Whether two metainfo values agree (numpy arrays and tensors compared element-wise)."""
    import numpy as np

    if isinstance(first, np.ndarray) or isinstance(other, np.ndarray):
        return bool(np.array_equal(first, other))
    try:
        return bool(first == other)
    except (ValueError, RuntimeError):  # e.g. tensors with several elements
        return bool(np.array_equal(np.asarray(first), np.asarray(other)))


class ConcatDataset(_Wrapper, TorchConcatDataset):
    """Datasets one after the other; their metainfo must agree except ``ignore_keys``.

    A torch ``ConcatDataset`` for ``isinstance`` checks; torch's ``__init__`` is
    not run (it would size the datasets at once, defeating ``lazy_init``):
    ``datasets`` is set here and ``cumulative_sizes`` by ``full_init``.
    """

    datasets: list[Any]  # any map-style datasets, not only torch's

    def __init__(
        self,
        datasets: Sequence[Any],
        lazy_init: bool = False,
        ignore_keys: str | list[str] | None = None,
    ) -> None:
        self.datasets = [
            _build(d, "ConcatDataset", f"datasets[{i}]") for i, d in enumerate(datasets)
        ]
        if not self.datasets:
            raise DatasetError("ConcatDataset needs at least one dataset.")
        if isinstance(ignore_keys, str):
            ignore_keys = [ignore_keys]
        elif ignore_keys is not None and not isinstance(ignore_keys, list):
            raise ConfigTypeError(
                f"ConcatDataset ignore_keys must be a str or a list, got "
                f"{type(ignore_keys).__name__}."
            )
        self.ignore_keys = list(ignore_keys or [])
        first = getattr(self.datasets[0], "metainfo", {})
        for i, dataset in enumerate(self.datasets[1:], 1):
            other = getattr(dataset, "metainfo", {})
            for key in set(first) | set(other):
                if key in self.ignore_keys:
                    continue
                if key in first and key in other and type(first[key]) is not type(other[key]):
                    raise DatasetTypeError(
                        f"ConcatDataset: metainfo {key!r} is a {type(other[key]).__name__} in "
                        f"datasets[{i}] but a {type(first[key]).__name__} in datasets[0]; give "
                        "both the same type, or list the key in ignore_keys."
                    )
                if key not in first or key not in other:
                    has, lacks = (0, i) if key in first else (i, 0)
                    raise DatasetError(
                        f"ConcatDataset: datasets[{has}] has metainfo {key!r} but "
                        f"datasets[{lacks}] has none; give both the key, or list it in "
                        "ignore_keys if that is intended."
                    )
                if not _same_meta(first[key], other[key]):
                    raise DatasetError(
                        f"ConcatDataset: datasets[0] and datasets[{i}] have different metainfo "
                        f"{key!r} ({first.get(key)!r} vs {other.get(key)!r}); list it in "
                        "ignore_keys if that is intended."
                    )
        self._metainfo = copy.deepcopy(first)
        if not lazy_init:
            self.full_init()

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        for dataset in self.datasets:
            _full_init(dataset)
        sizes = [len(d) for d in self.datasets]
        self.cumulative_sizes = [sum(sizes[: i + 1]) for i in range(len(sizes))]
        self._fully_initialized = True

    @force_full_init
    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    @force_full_init
    def _get_ori_dataset_idx(self, idx: int) -> tuple[int, int]:
        """``(dataset index, sample index)`` of ``idx``; a subclass may override it (MMEngine's)."""
        if idx < 0:
            if -idx > len(self):
                raise ValueError(f"index {idx} is out of range for {len(self)} samples.")
            idx = idx + len(self)  # not +=: a tensor index of the caller stays as it was
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        if which >= len(self.datasets):
            raise IndexError(f"index {idx} is out of range for {len(self)} samples.")
        start = self.cumulative_sizes[which - 1] if which else 0
        return which, idx - start

    def _locate(self, idx: int) -> tuple[Any, int]:
        which, sample = self._get_ori_dataset_idx(idx)
        return self.datasets[which], sample


class RepeatDataset(_Wrapper):
    """The dataset ``times`` times over (short epochs of a small dataset)."""

    def __init__(self, dataset: Any, times: int, lazy_init: bool = False) -> None:
        self.dataset = _build(dataset, "RepeatDataset", "dataset")
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            error = ConfigError if isinstance(times, int) else ConfigTypeError
            raise error(f"RepeatDataset needs a whole number times >= 1, got {times!r}.")
        self.times = times
        self._metainfo = copy.deepcopy(getattr(self.dataset, "metainfo", {}))
        if not lazy_init:
            self.full_init()

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        _full_init(self.dataset)
        self._ori_len = len(self.dataset)
        self._fully_initialized = True

    @force_full_init
    def __len__(self) -> int:
        return self.times * self._ori_len

    @force_full_init
    def _get_ori_dataset_idx(self, idx: int) -> int:
        """The wrapped dataset's index of ``idx``; MMEngine's name, a subclass may override it."""
        return idx % self._ori_len

    def _locate(self, idx: int) -> tuple[Any, int]:
        return self.dataset, self._get_ori_dataset_idx(idx)


class ClassBalancedDataset(_Wrapper):
    """Repeat samples of rare categories (LVIS's repeat-factor sampling).

    A category seen in a fraction ``f`` of the samples gets the factor
    ``max(1, sqrt(oversample_thr / f))``; a sample is repeated
    ``ceil(max factor of its categories)`` times. Needs ``get_cat_ids(idx)``.
    """

    def __init__(self, dataset: Any, oversample_thr: float, lazy_init: bool = False) -> None:
        self.dataset = _build(dataset, "ClassBalancedDataset", "dataset")
        self.oversample_thr = oversample_thr
        self._metainfo = copy.deepcopy(getattr(self.dataset, "metainfo", {}))
        if not lazy_init:
            self.full_init()

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        _full_init(self.dataset)
        factors = self._get_repeat_factors(self.dataset, self.oversample_thr)
        self.repeat_indices = [i for i, f in enumerate(factors) for _ in range(math.ceil(f))]
        self._fully_initialized = True

    @staticmethod
    def _get_repeat_factors(dataset: Any, repeat_thr: float) -> list[float]:
        count = len(dataset)
        cats = [set(dataset.get_cat_ids(i)) for i in range(count)]
        seen: dict[int, int] = defaultdict(int)
        for ids in cats:
            for cat in ids:
                seen[cat] += 1
        cat_factor = {c: max(1.0, math.sqrt(repeat_thr / (n / count))) for c, n in seen.items()}
        return [max((cat_factor[c] for c in ids), default=1.0) for ids in cats]

    @force_full_init
    def __len__(self) -> int:
        return len(self.repeat_indices)

    @force_full_init
    def _get_ori_dataset_idx(self, idx: int) -> int:
        """The wrapped dataset's index of ``idx``; MMEngine's name, a subclass may override it."""
        return self.repeat_indices[idx]

    def _locate(self, idx: int) -> tuple[Any, int]:
        return self.dataset, self._get_ori_dataset_idx(idx)

    @force_full_init
    def get_cat_ids(self, idx: int) -> list[int]:
        return self.dataset.get_cat_ids(self._get_ori_dataset_idx(idx))
