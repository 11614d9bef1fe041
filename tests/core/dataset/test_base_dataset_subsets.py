"""BaseDataset subsets and MMEngine's private helpers that downstream datasets call."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from runner_core.dataset import BaseDataset

ENTRIES = [dict(img_path=f"{i}.png", value=i) for i in range(10)]


@pytest.fixture
def ann(tmp_path: Path) -> str:
    path = tmp_path / "ann.json"
    path.write_text(json.dumps(dict(metainfo=dict(task="t"), data_list=ENTRIES)))
    return str(path)


def _values(dataset: Any) -> list[int]:
    return [dataset.get_data_info(i)["value"] for i in range(len(dataset))]


class PrefixingDataset(BaseDataset):
    """Adds to each entry in ``get_data_info``, as mmaction's datasets do (one-hot labels)."""

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        info["img_path"] = "extra/" + info["img_path"]
        info["calls"] = info.get("calls", 0) + 1
        return info


@pytest.mark.parametrize("serialize", [True, False])
def test_subsets_do_not_apply_a_get_data_info_override_twice(ann: str, serialize: bool) -> None:
    dataset = PrefixingDataset(ann, serialize_data=serialize)
    copy = dataset.get_subset([3, 4])
    assert copy.get_data_info(0)["img_path"] == "extra/3.png"
    assert copy.get_data_info(0)["calls"] == 1
    dataset.get_subset_(-2)
    assert dataset.get_data_info(1)["img_path"] == "extra/9.png"
    assert dataset.get_data_info(1)["calls"] == 1


class MMDetStyleDataset(BaseDataset):
    """A ``full_init`` written as mmdet's/mmyolo's ``BaseDetDataset`` writes it."""

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        self.data_list = self.load_data_list()
        self.data_list = self.filter_data()
        if self._indices is not None:
            self.data_list = self._get_unserialized_subset(self._indices)
        if self.serialize_data:
            self.data_bytes, self.data_address = self._serialize_data()
        self._fully_initialized = True


@pytest.mark.parametrize("serialize", [True, False])
def test_mmdet_style_full_init_with_mmengine_private_helpers(ann: str, serialize: bool) -> None:
    dataset = MMDetStyleDataset(ann, indices=[5, 6, -1], serialize_data=serialize)
    assert _values(dataset) == [5, 6, 9]
    assert len(dataset.data_list) == (0 if serialize else 3)
    assert dataset.get_data_info(-1)["sample_idx"] == 2


def test_serialized_subset_helper_slices_without_unpickling(ann: str) -> None:
    dataset = BaseDataset(ann)
    data_bytes, address = dataset._get_serialized_subset([2, 0])
    assert address.dtype == np.int64 and len(address) == 2
    assert int(address[-1]) == len(data_bytes)
    first = pickle.loads(data_bytes[: int(address[0])].tobytes())  # noqa: S301
    assert first["value"] == 2
    last_three = dataset._get_serialized_subset(-3)
    assert len(last_three[1]) == 3 and int(last_three[1][-1]) == len(last_three[0])
    assert len(dataset._get_serialized_subset(0)[1]) == 0
    assert len(dataset) == 10  # the helper leaves the dataset as it is


def test_copy_without_annotation_keeps_settings_and_drops_data(ann: str) -> None:
    dataset = BaseDataset(ann, metainfo=dict(classes=["a"]))
    other = dataset._copy_without_annotation()
    assert type(other) is BaseDataset
    assert other.ann_file == dataset.ann_file and other.metainfo == dataset.metainfo
    assert other.data_bytes is None and other.data_list == []
    assert other._metainfo is not dataset._metainfo


@pytest.mark.parametrize("serialize", [True, False])
@pytest.mark.parametrize(
    ("indices", "expected"),
    [
        (3, [0, 1, 2]),
        (-3, [7, 8, 9]),
        (0, []),
        (12, list(range(10))),
        ([0, 2, -1], [0, 2, 9]),
        ((1, 1), [1, 1]),
        ([], []),
        (np.int64(2), [0, 1]),
        (np.array([4, 1]), [4, 1]),
        (range(2, 4), [2, 3]),
        # torch.randperm(n)[:k] and its list: 0-d tensors, which MMEngine takes too
        (list(torch.tensor([4, -1])), [4, 9]),
        (torch.tensor([4, 1]), [4, 1]),
        (torch.tensor(2), [0, 1]),
    ],
)
def test_subset_indices_as_mmengine_plus_numpy(
    ann: str, serialize: bool, indices: Any, expected: list[int]
) -> None:
    dataset = BaseDataset(ann, serialize_data=serialize)
    assert _values(dataset.get_subset(indices)) == expected
    assert len(dataset) == 10
    dataset.get_subset_(indices)
    assert _values(dataset) == expected
    assert _values(BaseDataset(ann, serialize_data=serialize, indices=indices)) == expected


@pytest.mark.parametrize("serialize", [True, False])
@pytest.mark.parametrize(
    "indices", [2.0, "ab", [1.0], dict(a=1), torch.tensor(2.0), [torch.tensor(1.0)]]
)
def test_subset_indices_of_another_type_are_a_clear_type_error(
    ann: str, serialize: bool, indices: Any
) -> None:
    dataset = BaseDataset(ann, serialize_data=serialize)
    with pytest.raises(TypeError, match="indices must be"):
        dataset.get_subset(indices)
    with pytest.raises(TypeError, match="indices must be"):
        BaseDataset(ann, serialize_data=serialize, indices=indices)


def test_subset_of_a_subset_and_pickling(ann: str) -> None:
    sub = BaseDataset(ann).get_subset([1, 3, 5, 7]).get_subset(-2)
    assert _values(sub) == [5, 7]
    assert _values(pickle.loads(pickle.dumps(sub))) == [5, 7]


def test_empty_serialized_dataset_raises_index_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text(json.dumps(dict(metainfo={}, data_list=[])))
    dataset = BaseDataset(str(path))
    assert len(dataset) == 0
    with pytest.raises(IndexError):
        dataset.get_data_info(0)


def test_unsupported_annotation_format_is_a_type_error_as_in_mmengine(tmp_path: Path) -> None:
    path = tmp_path / "ann.txt"
    path.write_text("a b c")
    with pytest.raises(TypeError, match="Unsupported format: txt"):
        BaseDataset(str(path))


@pytest.mark.parametrize(
    ("name", "text"), [("ann.json", '{"data_list": [1,]}'), ("ann.yaml", "a: [")]
)
def test_a_damaged_annotation_file_is_named(tmp_path: Path, name: str, text: str) -> None:
    """A bare `JSONDecodeError: Expecting value: line 1 column 18` named neither the file
    nor the dataset (MMEngine's neither); the error keeps its type."""
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(Exception) as err:
        BaseDataset(str(path))
    assert isinstance(err.value, ValueError) or type(err.value).__module__.startswith("yaml")
    assert f"annotation file {str(path)!r}" in " ".join(getattr(err.value, "__notes__", []))


def test_annotation_and_class_files_go_through_the_file_backends(tmp_path: Path) -> None:
    """As MMEngine's: a registered storage backend serves ann_file and a class-names file,
    and YAML that fileio.dump wrote (tuples) reads back."""
    from runner_core.fileio import BaseStorageBackend, dump, register_backend

    files = {
        "memtest://ann.json": b'{"metainfo": {}, "data_list": [{"x": 1}, {"x": 2}]}',
        "memtest://classes.txt": b"cat\ndog\n",
    }

    class Memory(BaseStorageBackend):
        def get(self, filepath: Any) -> bytes:
            return files[str(filepath)]

        def get_text(self, filepath: Any, encoding: str = "utf-8") -> str:
            return files[str(filepath)].decode(encoding)

    from runner_core.fileio import registry

    register_backend("memtest", Memory, force=True, prefixes="memtest")
    try:
        dataset = BaseDataset(
            "memtest://ann.json",
            metainfo=dict(classes="memtest://classes.txt"),
            data_prefix=dict(),
            serialize_data=False,
        )
    finally:  # the backend registry is process state: later tests list its names
        registry.backends.pop("memtest", None)
        registry.prefix_to_backends.pop("memtest", None)
    assert [d["x"] for d in dataset.data_list] == [1, 2]
    assert dataset.metainfo["classes"] == ["cat", "dog"]
    dump({"metainfo": {"size": (2, 3)}, "data_list": [{"x": 1}]}, tmp_path / "ann.yaml")
    assert BaseDataset(str(tmp_path / "ann.yaml"), data_prefix=dict()).metainfo["size"] == (2, 3)


def test_a_missing_class_names_file_is_warned_about() -> None:
    with pytest.warns(UserWarning, match="no such file"):
        dataset = BaseDataset(ann_file="", metainfo=dict(classes="data/clases.txt"), lazy_init=True)
    assert dataset.metainfo["classes"] == "data/clases.txt"


def test_an_upper_case_annotation_suffix_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "ann.JSON"
    path.write_text(json.dumps({"metainfo": {}, "data_list": [{"x": 1}]}))
    assert len(BaseDataset(path, data_prefix=dict())) == 1
