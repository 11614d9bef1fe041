"""runner_core.dataset behaves as mmengine.dataset documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runner_core.dataset import (
    BaseDataset,
    ClassBalancedDataset,
    Compose,
    ConcatDataset,
    RepeatDataset,
)
from runner_core.errors import BuildError
from runner_core.registry import DATASETS, TRANSFORMS


@TRANSFORMS.register_module(force=True)
class AddOneForCompat:
    def __init__(self, key: str = "value") -> None:
        self.key = key

    def __call__(self, results: dict) -> dict:
        results[self.key] += 1
        return results


@DATASETS.register_module(force=True)
class ToyDatasetForCompat(BaseDataset):
    METAINFO = dict(classes=("cat", "dog"), task="toy")

    def get_cat_ids(self, idx: int) -> list[int]:
        return list(self.get_data_info(idx)["cats"])


def _ann_file(tmp_path: Path, entries: list[dict], name: str = "ann.json") -> str:
    path = tmp_path / name
    path.write_text(
        json.dumps(dict(metainfo=dict(version="1.0", task="from-file"), data_list=entries))
    )
    return name


ENTRIES = [dict(img_path=f"{i}.png", value=i, cats=[i % 2]) for i in range(4)]


def test_annotation_file_metainfo_and_data_prefix(tmp_path: Path) -> None:
    ds = ToyDatasetForCompat(
        ann_file=_ann_file(tmp_path, ENTRIES),
        data_root=str(tmp_path),
        data_prefix=dict(img_path="images"),
        metainfo=dict(extra=1),
    )
    assert len(ds) == 4
    info = ds.get_data_info(2)
    assert info["img_path"] == str(tmp_path / "images" / "2.png") and info["sample_idx"] == 2
    assert ds.get_data_info(-1)["sample_idx"] == 3
    # class METAINFO < annotation file < config: the class's 'task' wins over the file's
    assert ds.metainfo == dict(classes=("cat", "dog"), task="toy", version="1.0", extra=1)
    ds.metainfo["classes"] = ()  # a copy
    assert ds.metainfo["classes"] == ("cat", "dog")


def test_metainfo_string_naming_a_file_is_read_as_lines(tmp_path: Path) -> None:
    classes = tmp_path / "classes.txt"
    classes.write_text("bird\nfish\n")
    ds = ToyDatasetForCompat(
        ann_file=_ann_file(tmp_path, ENTRIES),
        data_root=str(tmp_path),
        metainfo=dict(classes=str(classes)),
    )
    assert ds.metainfo["classes"] == ["bird", "fish"]
    # every line is a class, as in MMEngine: a blank one keeps the indices after it
    classes.write_text("cat\n\ndog\n bird \n")
    ds = ToyDatasetForCompat(
        ann_file=_ann_file(tmp_path, ENTRIES),
        data_root=str(tmp_path),
        metainfo=dict(classes=str(classes)),
    )
    assert ds.metainfo["classes"] == ["cat", "", "dog", " bird "]


def test_a_missing_names_file_says_it_was_read_from_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """classes.txt under data_root, named relatively: read from the current directory (as
    MMEngine does), and the warning said "no such file" of a file the user could see."""
    (tmp_path / "classes.txt").write_text("bird\nfish\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with pytest.warns(UserWarning, match="looks like a file of names") as caught:
        ds = ToyDatasetForCompat(
            ann_file=_ann_file(tmp_path, ENTRIES),
            data_root=str(tmp_path),
            metainfo=dict(classes="classes.txt"),
        )
    assert ds.metainfo["classes"] == "classes.txt"
    assert f"read from the current directory, {elsewhere}, not data_root" in str(caught[0].message)


def test_a_registered_transform_without_call_is_named_as_such() -> None:
    """dict(type=...) was right, but the message said it must be a config or a callable."""

    @TRANSFORMS.register_module(name="NoCallForCompat", force=True)
    class NoCall:
        pass

    with pytest.raises(BuildError) as err:
        Compose([dict(type="NoCallForCompat")])
    message = str(err.value)
    assert "pipeline[0] = dict(type='NoCallForCompat', ...) built a NoCall" in message
    assert "Give the class a __call__." in message


def test_lazy_init_loads_on_first_access(tmp_path: Path) -> None:
    ds = ToyDatasetForCompat(
        ann_file=_ann_file(tmp_path, ENTRIES), data_root=str(tmp_path), lazy_init=True
    )
    assert not ds._fully_initialized
    assert len(ds) == 4 and ds._fully_initialized


@pytest.mark.parametrize("serialize", [True, False])
def test_pipeline_from_the_transforms_registry(tmp_path: Path, serialize: bool) -> None:
    ds = ToyDatasetForCompat(
        ann_file=_ann_file(tmp_path, ENTRIES),
        data_root=str(tmp_path),
        serialize_data=serialize,
        pipeline=[dict(type="AddOneForCompat"), dict(type="AddOneForCompat")],
    )
    assert [ds[i]["value"] for i in range(4)] == [2, 3, 4, 5]
    assert ds.get_data_info(0)["value"] == 0  # the stored entry is untouched


def test_indices_and_subsets(tmp_path: Path) -> None:
    ann = _ann_file(tmp_path, ENTRIES)
    ds = ToyDatasetForCompat(ann_file=ann, data_root=str(tmp_path), indices=[3, 1])
    assert [ds.get_data_info(i)["value"] for i in range(len(ds))] == [3, 1]
    full = ToyDatasetForCompat(ann_file=ann, data_root=str(tmp_path))
    first_two = full.get_subset(2)
    assert len(first_two) == 2 and len(full) == 4
    full.get_subset_(-1)
    assert [full.get_data_info(0)["value"]] == [3]


def test_pipeline_dropping_a_sample_refetches_and_test_mode_refuses(tmp_path: Path) -> None:
    def drop_odd(results: dict) -> Any:
        return None if results["value"] % 2 else results

    ann = _ann_file(tmp_path, ENTRIES)
    ds = ToyDatasetForCompat(ann_file=ann, data_root=str(tmp_path), pipeline=[drop_odd])
    assert ds[1]["value"] % 2 == 0
    strict = ToyDatasetForCompat(
        ann_file=ann, data_root=str(tmp_path), pipeline=[drop_odd], test_mode=True
    )
    with pytest.raises(ValueError, match="test mode"):
        strict[1]


def test_annotation_file_without_data_list_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(json.dumps(dict(metainfo={})))
    with pytest.raises(ValueError, match="data_list"):
        ToyDatasetForCompat(ann_file="bad.json", data_root=str(tmp_path))
    with pytest.raises(FileNotFoundError):
        ToyDatasetForCompat(ann_file="missing.json", data_root=str(tmp_path))


def test_compose_applies_in_order_and_stops_on_none() -> None:
    pipeline = Compose([lambda r: {**r, "a": 1}, dict(type="AddOneForCompat", key="a")])
    assert pipeline({}) == {"a": 2}
    assert Compose([lambda r: None, dict(type="AddOneForCompat")])({"value": 0}) is None
    with pytest.raises(TypeError, match="pipeline"):
        Compose([42])


def test_concat_repeat_and_class_balanced(tmp_path: Path) -> None:
    cfg = dict(
        type="ToyDatasetForCompat", ann_file=_ann_file(tmp_path, ENTRIES), data_root=str(tmp_path)
    )
    concat = ConcatDataset([cfg, cfg])
    assert len(concat) == 8 and concat.get_data_info(5)["value"] == 1 and concat[-1]["value"] == 3
    repeat = RepeatDataset(cfg, times=3)
    assert len(repeat) == 12 and repeat.get_data_info(9)["value"] == 1
    assert repeat.metainfo["task"] == "toy"
    # category 1 in 1 of 4 samples: factor sqrt(0.5 / 0.25) = 1.41 -> repeated twice
    rare = [dict(img_path="x.png", value=i, cats=[1] if i == 0 else [0]) for i in range(4)]
    balanced = ClassBalancedDataset(
        dict(
            type="ToyDatasetForCompat",
            ann_file=_ann_file(tmp_path, rare, "rare.json"),
            data_root=str(tmp_path),
        ),
        oversample_thr=0.5,
    )
    assert [balanced.get_data_info(i)["value"] for i in range(len(balanced))] == [0, 0, 1, 2, 3]


def test_concat_refuses_different_metainfo_unless_ignored(tmp_path: Path) -> None:
    ann = _ann_file(tmp_path, ENTRIES)
    a = ToyDatasetForCompat(ann_file=ann, data_root=str(tmp_path), metainfo=dict(classes=("a",)))
    b = ToyDatasetForCompat(ann_file=ann, data_root=str(tmp_path))
    with pytest.raises(ValueError, match="classes"):
        ConcatDataset([a, b])
    assert len(ConcatDataset([a, b], ignore_keys="classes")) == 8


def test_a_failing_transform_is_named_by_its_place_in_the_pipeline() -> None:
    """The error named the sample and the loader, but which transform raised only a
    traceback frame said."""

    def boom(results: dict) -> dict:
        raise ValueError("bad image")

    with pytest.raises(ValueError, match="bad image") as err:
        Compose([dict(type="AddOneForCompat", key="a"), boom])({"a": 0})
    assert err.value.__notes__ == ["Raised in pipeline[1] (boom)."]


def test_wrappers_are_found_through_the_registry() -> None:
    assert DATASETS.get("ConcatDataset") is ConcatDataset
    assert TRANSFORMS.get("Compose") is Compose


def test_concat_compares_array_metainfo_and_refuses_other_types(tmp_path: Path) -> None:
    import numpy as np

    ann = _ann_file(tmp_path, ENTRIES)

    def toy(**meta: Any) -> ToyDatasetForCompat:
        return ToyDatasetForCompat(ann_file=ann, data_root=str(tmp_path), metainfo=meta)

    palette = [[255, 0, 0], [0, 255, 0]]
    same = ConcatDataset([toy(palette=np.array(palette)), toy(palette=np.array(palette))])
    assert len(same) == 8
    with pytest.raises(ValueError, match="palette"):
        ConcatDataset([toy(palette=np.array(palette)), toy(palette=np.zeros((2, 3)))])
    with pytest.raises(TypeError, match="is a list in datasets\\[1\\] but a tuple"):
        ConcatDataset([toy(classes=("a",)), toy(classes=["a"])])


def test_wrappers_refuse_subsets_with_the_fix(tmp_path: Path) -> None:
    cfg = dict(
        type="ToyDatasetForCompat", ann_file=_ann_file(tmp_path, ENTRIES), data_root=str(tmp_path)
    )
    for wrapper in (ConcatDataset([cfg, cfg]), RepeatDataset(cfg, times=2)):
        with pytest.raises(NotImplementedError, match="call them on the wrapped dataset"):
            wrapper.get_subset(2)


def test_force_full_init_works_on_any_class_with_full_init() -> None:
    from runner_core.dataset import force_full_init

    class Plain:  # not a BaseDataset, no _fully_initialized attribute
        def __init__(self) -> None:
            self.calls = 0

        def full_init(self) -> None:
            self.calls += 1
            self.items = [1, 2, 3]

        @force_full_init
        def __len__(self) -> int:
            return len(self.items)

    plain = Plain()
    assert [len(plain), len(plain), len(plain)] == [3, 3, 3]
    assert plain.calls == 1

    class NoInit:
        @force_full_init
        def size(self) -> int:
            return 0

    with pytest.raises(AttributeError, match="has no full_init"):
        NoInit().size()


def test_missing_data_prefix_key_is_an_assertion_error(tmp_path: Path) -> None:
    ann = _ann_file(tmp_path, [dict(value=1)])
    with pytest.raises(AssertionError, match="data_prefix has key 'img_path'"):
        BaseDataset(ann_file=ann, data_root=str(tmp_path))


def test_datasets_are_torch_datasets_and_add_up(tmp_path: Path) -> None:
    """As MMEngine: BaseDataset is a torch Dataset, ConcatDataset a torch ConcatDataset."""
    import torch.utils.data as tud

    ann = _ann_file(tmp_path, ENTRIES)
    a = ToyDatasetForCompat(ann_file=ann, data_root=str(tmp_path))
    b = ToyDatasetForCompat(ann_file=ann, data_root=str(tmp_path), lazy_init=True)
    assert isinstance(a, tud.Dataset)
    both = a + b  # torch's Dataset.__add__
    assert isinstance(both, tud.ConcatDataset) and len(both) == 8
    assert both[5]["value"] == 1
    concat = ConcatDataset([a, b], lazy_init=True)
    assert isinstance(concat, tud.ConcatDataset) and not concat._fully_initialized
    assert len(concat) == 8 and concat.cumulative_sizes == [4, 8]
    assert concat[6]["value"] == 2 and concat.datasets == [a, b]
    repeat = RepeatDataset(a, times=2)
    assert isinstance(repeat, tud.Dataset) and len(repeat + a) == 12


def test_metainfo_may_be_a_config(tmp_path: Path) -> None:
    from runner_core.config import Config

    ds = ToyDatasetForCompat(
        ann_file=_ann_file(tmp_path, ENTRIES),
        data_root=str(tmp_path),
        metainfo=Config(dict(classes=["a", "b"], extra=dict(k=1))),
    )
    assert ds.metainfo["classes"] == ["a", "b"] and ds.metainfo["extra"] == dict(k=1)
    with pytest.raises(TypeError, match="metainfo must be a dict or a Config, got list"):
        ToyDatasetForCompat(ann_file="x.json", metainfo=[1], lazy_init=True)


@pytest.mark.parametrize("ann_file", ["", None])
def test_missing_ann_file_is_a_type_error_as_in_mmengine(ann_file: Any) -> None:
    from runner_core.errors import ConfigError

    for expected in (TypeError, ConfigError):
        with pytest.raises(expected, match="needs ann_file"):
            BaseDataset(ann_file=ann_file)


@pytest.mark.parametrize("serialize", [True, False])
def test_subset_index_out_of_range_is_an_assertion_and_index_error(
    tmp_path: Path, serialize: bool
) -> None:
    ds = ToyDatasetForCompat(
        ann_file=_ann_file(tmp_path, ENTRIES), data_root=str(tmp_path), serialize_data=serialize
    )
    for expected in (AssertionError, IndexError):
        with pytest.raises(expected, match=r"subset indices \[10\] are out of range for 4"):
            ds.get_subset([0, 10])
    assert [ds.get_subset([-4, 3]).get_data_info(i)["value"] for i in range(2)] == [0, 3]
    assert len(ds) == 4  # unchanged by the refused subset
