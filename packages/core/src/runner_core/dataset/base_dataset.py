"""``BaseDataset``: MMEngine's dataset contract, written for runner.

The annotation file holds ``dict(metainfo=dict(...), data_list=[dict(...), ...])``
(JSON, YAML or pickle). ``full_init()`` loads it (``load_data_list``, which calls
``parse_data_info`` per raw entry), filters it (``filter_data``), takes the
``indices`` subset and, with ``serialize_data``, packs the list into one
byte buffer so data-loader workers share it instead of copying Python
objects. ``lazy_init=True`` defers all of that to the first access.
"""

from __future__ import annotations

import copy
import functools
import os
import pickle
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

from torch.utils.data import Dataset

from ..config import Config
from ..errors import ConfigTypeError, RunnerError
from .compose import Compose


class DatasetError(RunnerError, ValueError):
    """An annotation file or a sample does not have the shape BaseDataset expects."""


class DatasetTypeError(DatasetError, TypeError):
    """A dataset value has the wrong type (a TypeError, as MMEngine raises)."""


class DatasetAssertionError(DatasetError, AssertionError):
    """A check MMEngine makes with ``assert`` (an AssertionError too)."""


class DatasetIndexError(DatasetAssertionError, IndexError):
    """A subset index out of range: MMEngine asserts (serialized data) or raises IndexError."""


_F = TypeVar("_F", bound=Callable[..., Any])
_D = TypeVar("_D", bound="BaseDataset")  # get_subset returns the subclass it is called on


def _warn_not_initialized(msg: str) -> None:
    """Say that a lazy dataset loads its data list now, as MMEngine's warning does: called
    from user code (or in each data loader worker) that costs the load once per caller."""
    import logging

    from ..logging import print_log

    print_log(msg, logger="current", level=logging.WARNING)


def force_full_init(method: _F) -> _F:
    """Decorate a dataset method that needs the data list: run ``full_init()`` first.

    Works on any class with a ``full_init`` method, as MMEngine's does: it is
    called once, and ``_fully_initialized`` is set afterwards, whether or not
    ``full_init`` sets it itself.
    """

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not getattr(self, "_fully_initialized", False):
            init = getattr(self, "full_init", None)
            if not callable(init):
                raise AttributeError(
                    f"{type(self).__name__}.{method.__name__} is decorated with force_full_init, "
                    f"but {type(self).__name__} has no full_init() method to call first."
                )
            _warn_not_initialized(
                f"{type(self).__name__}.{method.__name__}() needs the data list: full_init() "
                "runs now. After building a dataset with lazy_init=True, call full_init() "
                "once yourself before using it."
            )
            init()
            self._fully_initialized = True
        return method(self, *args, **kwargs)

    return cast(_F, wrapper)  # the same signature: user code keeps its types


def _join(root: str, path: str) -> str:
    return path if not root or os.path.isabs(path) or "://" in path else os.path.join(root, path)


_ANNOTATION_FORMATS = frozenset({"json", "yaml", "yml", "pkl", "pickle"})


def load_annotation_file(path: str | os.PathLike[str]) -> Any:
    """Read the annotation file with ``runner_core.fileio.load``, as MMEngine's ``load``.

    json, yaml/yml, pickle/pkl and formats added with ``register_handler``; a
    URL goes through the storage backend registered for its prefix.
    """
    from ..fileio import load

    path = os.fspath(path)
    if "://" not in path and not os.path.isfile(path):
        from ..errors import did_you_mean

        folder = os.path.dirname(path) or "."
        names = os.listdir(folder) if os.path.isdir(folder) else []
        raise FileNotFoundError(
            f"Annotation file {path!r} does not exist.{did_you_mean(os.path.basename(path), names)}"
            " Check ann_file and data_root."
        )
    suffix = os.path.splitext(path)[1][1:]
    # 'ann.JSON' loaded before fileio read it (fileio, as MMEngine's, takes 'json' only)
    fmt = suffix.lower() if suffix.lower() in _ANNOTATION_FORMATS else None
    try:
        return load(path, file_format=fmt)
    except TypeError as exc:  # an unknown format: FileFormatError, a TypeError as MMEngine's
        from ..errors import add_note

        add_note(exc, f"Annotation file {path!r}: override load_data_list() to read it.")
        raise
    except Exception as exc:  # a damaged file (JSONDecodeError, yaml's errors): name it
        import pickle

        damaged = (ValueError, EOFError, pickle.UnpicklingError)
        if isinstance(exc, damaged) or type(exc).__module__.split(".")[0] == "yaml":
            from ..errors import add_note

            add_note(exc, f"Raised in the annotation file {path!r}: fix its contents.")
        raise


class BaseDataset(Dataset):
    """A dataset of ``data_list`` entries (dicts), each sent through ``pipeline``.

    A ``torch.utils.data.Dataset``, as MMEngine's: ``a + b`` gives torch's
    ``ConcatDataset``.

    Args:
        ann_file: the annotation file (relative to ``data_root`` unless absolute).
        metainfo: extra meta information (a dict or a ``Config``); a string
            value naming a file is read as a list of lines (class names), as
            MMEngine does.
        data_root: the folder ``ann_file`` and ``data_prefix`` are relative to.
        data_prefix: ``{key: folder}``; ``parse_data_info`` joins each folder to
            the entry's ``key`` value.
        filter_cfg: for ``filter_data`` overrides.
        indices: keep only these entries (an int N keeps the first N).
        serialize_data: pack the data list into one buffer (shared by workers).
        pipeline: transforms (configs from ``TRANSFORMS`` or callables).
        test_mode: a None from the pipeline is an error instead of a re-draw.
        lazy_init: load annotations on first access, not in ``__init__``.
        max_refetch: how many other samples to try when the pipeline drops one.
    """

    METAINFO: dict = dict()
    _fully_initialized: bool = False

    def __init__(
        self,
        ann_file: str | None = "",
        metainfo: Mapping[str, Any] | Config | None = None,
        data_root: str | None = "",
        data_prefix: dict | None = None,
        filter_cfg: dict | None = None,
        indices: int | Sequence[int] | None = None,
        serialize_data: bool = True,
        pipeline: Sequence[Any] = (),
        test_mode: bool = False,
        lazy_init: bool = False,
        max_refetch: int = 1000,
    ) -> None:
        self.ann_file = ann_file or ""
        self.data_root = data_root or ""
        self.data_prefix = copy.copy(data_prefix) if data_prefix is not None else dict(img_path="")
        self.filter_cfg = copy.deepcopy(filter_cfg)
        self._indices = indices
        self.serialize_data = serialize_data
        self.test_mode = test_mode
        self.max_refetch = max_refetch
        self.data_list: list[dict] = []
        self.data_bytes: Any = None
        self.data_address: Any = None
        self._metainfo = self._load_metainfo(copy.deepcopy(metainfo))
        self._join_prefix()
        self.pipeline = Compose(pipeline)
        if not lazy_init:
            self.full_init()

    # -- metainfo ---------------------------------------------------------------------
    @classmethod
    def _load_metainfo(cls, metainfo: Mapping[str, Any] | Config | None = None) -> dict:
        merged = copy.deepcopy(cls.METAINFO)
        if metainfo is None:
            return merged
        if isinstance(metainfo, Config):
            metainfo = dict(metainfo.items())
        if not isinstance(metainfo, Mapping):
            raise ConfigTypeError(
                f"{cls.__name__}: metainfo must be a dict or a Config, got "
                f"{type(metainfo).__name__}."
            )
        for key, value in metainfo.items():
            if isinstance(value, str) and (os.path.isfile(value) or "://" in value):
                from ..fileio import list_from_file

                try:
                    value = list_from_file(value)  # every line, blank ones too (MMEngine)
                except (OSError, LookupError, ValueError):  # not a file: keep the string
                    pass
            elif isinstance(value, str) and os.path.splitext(value)[1] in (".txt", ".text"):
                import warnings

                warnings.warn(
                    f"{cls.__name__}: metainfo[{key!r}] = {value!r} looks like a file of names, "
                    f"but there is no such file (read from the current directory, "
                    f"{os.getcwd()}, not data_root, as in MMEngine); it is kept as a string. "
                    "Give the file's path from here, or an absolute one.",
                    stacklevel=3,
                )
            merged[key] = value
        return merged

    @property
    def metainfo(self) -> dict:
        """The meta information (a copy: changing it does not change the dataset)."""
        return copy.deepcopy(self._metainfo)

    # -- loading ----------------------------------------------------------------------
    def _join_prefix(self) -> None:
        if self.ann_file:
            self.ann_file = _join(self.data_root, self.ann_file)
        for key, prefix in self.data_prefix.items():
            if not isinstance(prefix, str):
                raise ConfigTypeError(
                    f"{type(self).__name__}: data_prefix[{key!r}] must be a str, got "
                    f"{type(prefix).__name__}."
                )
            self.data_prefix[key] = _join(self.data_root, prefix)

    def full_init(self) -> None:
        """Load, filter, subset and (optionally) serialize the data list, once."""
        if self._fully_initialized:
            return
        self.data_list = self.load_data_list()
        self.data_list = self.filter_data()
        if self._indices is not None:
            self.data_list = self._get_unserialized_subset(self._indices)
        if self.serialize_data:
            self.data_bytes, self.data_address = self._serialize_data()
        self._fully_initialized = True

    def load_data_list(self) -> list[dict]:
        """Read ``ann_file`` and parse each raw entry; override for other layouts."""
        if not self.ann_file:  # a TypeError too, as MMEngine's load() of '' or None
            raise ConfigTypeError(
                f"{type(self).__name__} needs ann_file (or an override of load_data_list())."
            )
        annotations = load_annotation_file(self.ann_file)
        if not isinstance(annotations, dict):
            raise TypeError(
                f"Annotation file {self.ann_file!r} must hold a dict with 'metainfo' and "
                f"'data_list', got {type(annotations).__name__}."
            )
        missing = [k for k in ("metainfo", "data_list") if k not in annotations]
        if missing:
            raise DatasetError(
                f"Annotation file {self.ann_file!r} has no {missing} key(s); it must hold "
                "dict(metainfo=dict(...), data_list=[...])."
            )
        for key, value in annotations["metainfo"].items():
            self._metainfo.setdefault(key, value)  # the config's metainfo wins
        data_list: list[dict] = []
        for raw in annotations["data_list"]:
            info = self.parse_data_info(raw)
            items = info if isinstance(info, list) else [info]
            for item in items:
                if not isinstance(item, dict):
                    raise TypeError(
                        f"{type(self).__name__}.parse_data_info must return a dict or a list "
                        f"of dicts, got {type(item).__name__}."
                    )
            data_list.extend(items)
        return data_list

    def parse_data_info(self, raw_data_info: dict) -> dict | list[dict]:
        """One raw annotation entry -> a data info dict; joins ``data_prefix`` folders."""
        for key, prefix in self.data_prefix.items():
            if key not in raw_data_info:
                raise DatasetAssertionError(
                    f"{type(self).__name__}: data_prefix has key {key!r}, but the annotation "
                    f"entry {raw_data_info!r} has no such key."
                )
            raw_data_info[key] = _join(prefix, raw_data_info[key])
        return raw_data_info

    def filter_data(self) -> list[dict]:
        """Drop unwanted entries (override; the default keeps all)."""
        return self.data_list

    def get_cat_ids(self, idx: int) -> list[int]:
        """The category ids of sample ``idx`` (ClassBalancedDataset needs it)."""
        raise NotImplementedError(
            f"{type(self).__name__}.get_cat_ids is not implemented; define it to use "
            "ClassBalancedDataset."
        )

    # -- serialization ----------------------------------------------------------------
    def _serialize_data(self) -> tuple[Any, Any]:
        """Pack ``data_list`` into ``(data_bytes, data_address)`` and empty the list.

        MMEngine's name: mmdet/mmyolo/mmdet3d datasets that override
        ``full_init`` call ``self.data_bytes, self.data_address = self._serialize_data()``.
        """
        import numpy as np

        chunks = [
            np.frombuffer(pickle.dumps(d, protocol=4), dtype=np.uint8) for d in self.data_list
        ]
        ends = np.cumsum([len(c) for c in chunks], dtype=np.int64)
        buffer = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.uint8)
        self.data_list = []  # a new list: one the subclass still holds is left as it is
        return buffer, ends

    # -- access -----------------------------------------------------------------------
    @force_full_init
    def __len__(self) -> int:
        return len(self.data_address) if self.serialize_data else len(self.data_list)

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """A copy of entry ``idx`` with its ``sample_idx``."""
        if self.serialize_data:
            end = int(self.data_address[idx])  # an IndexError out of range, empty included
            pos = idx + len(self) if idx < 0 else idx
            start = int(self.data_address[pos - 1]) if pos > 0 else 0
            info = pickle.loads(self.data_bytes[start:end].tobytes())  # noqa: S301 - our own
        else:
            info = copy.deepcopy(self.data_list[idx])
        info["sample_idx"] = idx if idx >= 0 else len(self) + idx
        return info

    def prepare_data(self, idx: int) -> Any:
        return self.pipeline(self.get_data_info(idx))

    def __getitem__(self, idx: int) -> Any:
        if not self._fully_initialized:
            _warn_not_initialized(
                f"{type(self).__name__}[{idx}] before full_init(): the data list loads now. "
                "After building a dataset with lazy_init=True, call full_init() once yourself "
                "(in data loader workers each would load it)."
            )
            self.full_init()
        if self.test_mode:
            data = self.prepare_data(idx)
            if data is None:
                raise DatasetError(
                    f"{type(self).__name__}: the pipeline returned None for sample {idx} in "
                    "test mode; a test pipeline must not drop samples."
                )
            return data
        for _ in range(self.max_refetch + 1):
            data = self.prepare_data(idx)
            if data is not None:
                return data
            idx = self._rand_another()
        raise DatasetError(
            f"{type(self).__name__}: the pipeline dropped {self.max_refetch + 1} samples in a "
            "row; check the data paths and the pipeline."
        )

    def _rand_another(self) -> int:
        import numpy as np

        return int(np.random.randint(0, len(self)))

    # -- subsets ----------------------------------------------------------------------
    def _check_indices(self, indices: Any, size: int) -> int | list[int]:
        """``indices`` as an int or a list of ints in range (numpy integers and arrays too)."""
        import operator

        def as_int(value: Any) -> int | None:
            """``value`` as an int: Python and numpy integers, 0-d integer tensors/arrays."""
            try:
                return operator.index(value)
            except TypeError:
                return None

        single = as_int(indices)
        if single is not None and getattr(indices, "ndim", 0) == 0:
            return single
        if (
            isinstance(indices, (str, bytes, Mapping))
            or not hasattr(indices, "__iter__")
            or getattr(indices, "ndim", None) == 0  # a 0-d float tensor or array
        ):
            raise DatasetTypeError(
                f"{type(self).__name__}: indices must be an int (the first N, or the last N if "
                f"negative) or a sequence of ints, got {type(indices).__name__}: {indices!r}."
            )
        raw = list(indices)
        chosen = [as_int(i) for i in raw]
        wrong = [r for r, c in zip(raw, chosen) if c is None]
        if wrong:
            raise DatasetTypeError(
                f"{type(self).__name__}: indices must be ints, got {wrong[:5]!r}."
            )
        ints = cast("list[int]", chosen)
        outside = [i for i in ints if not -size <= i < size]
        if outside:
            raise DatasetIndexError(
                f"{type(self).__name__}: subset indices {outside} are out of range for "
                f"{size} samples; use indices in [-{size}, {size})."
            )
        return ints

    def _get_unserialized_subset(self, indices: int | Sequence[int]) -> list[dict]:
        """The entries of ``data_list`` that ``indices`` picks (MMEngine's name, used by mmdet)."""
        chosen = self._check_indices(indices, len(self.data_list))
        if isinstance(chosen, int):
            return self.data_list[:chosen] if chosen >= 0 else self.data_list[chosen:]
        return [self.data_list[i] for i in chosen]

    def _get_serialized_subset(self, indices: int | Sequence[int]) -> tuple[Any, Any]:
        """``(data_bytes, data_address)`` of the entries ``indices`` picks, without unpickling.

        The result is a copy: the full buffer is freed once nothing else holds it.
        """
        import numpy as np

        ends = self.data_address
        size = len(ends)
        starts = np.concatenate([np.zeros(1, dtype=np.int64), ends[:-1]]) if size else ends
        chosen = self._check_indices(indices, size)
        if isinstance(chosen, int):
            picked = range(size)[:chosen] if chosen >= 0 else range(size)[chosen:]
            if not len(picked):
                return np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int64)
            first, last = picked[0], picked[-1]
            data = self.data_bytes[int(starts[first]) : int(ends[last])].copy()
            return data, (ends[first : last + 1] - starts[first]).astype(np.int64)
        if not chosen:
            return np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int64)
        pieces = [self.data_bytes[int(starts[i]) : int(ends[i])] for i in chosen]
        return np.concatenate(pieces), np.cumsum([len(p) for p in pieces], dtype=np.int64)

    def _copy_without_annotation(self: _D, memo: dict | None = None) -> _D:
        """A deep copy of everything but ``data_list``/``data_bytes``/``data_address``.

        MMEngine's name; ``get_subset`` fills the copy's data itself.
        """
        memo = {} if memo is None else memo
        other = type(self).__new__(type(self))
        memo[id(self)] = other
        skip = ("data_list", "data_bytes", "data_address")
        for key, value in self.__dict__.items():
            if key not in skip:
                other.__dict__[key] = copy.deepcopy(value, memo)
        other.data_list, other.data_bytes, other.data_address = [], None, None
        return other

    @force_full_init
    def get_subset_(self, indices: int | Sequence[int]) -> None:
        """Keep only ``indices`` (an int N: the first N, -N: the last N), in place.

        Works on the stored entries, so a ``get_data_info`` override is not
        applied to them twice.
        """
        if self.serialize_data:
            self.data_bytes, self.data_address = self._get_serialized_subset(indices)
        else:
            self.data_list = self._get_unserialized_subset(indices)

    @force_full_init
    def get_subset(self: _D, indices: int | Sequence[int]) -> _D:
        """A copy holding only ``indices``; this dataset is left as it is."""
        subset = self._copy_without_annotation()
        if self.serialize_data:
            subset.data_bytes, subset.data_address = self._get_serialized_subset(indices)
        else:
            subset.data_list = copy.deepcopy(self._get_unserialized_subset(indices))
        return subset
