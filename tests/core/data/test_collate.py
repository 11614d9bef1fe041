"""default_collate stacks, pseudo_collate keeps lists."""

from __future__ import annotations

from collections import namedtuple

import pytest
import torch

from runner_core.data.collate import default_collate, pseudo_collate


def test_default_collate_stacks_tensors() -> None:
    batch = default_collate([(torch.zeros(3), 1), (torch.ones(3), 2)])
    assert batch[0].shape == (2, 3)
    assert batch[1].tolist() == [1, 2]


def test_pseudo_collate_dicts_become_dicts_of_lists_without_stacking() -> None:
    a, b = torch.zeros(3, 4), torch.ones(3, 5)  # different sizes cannot be stacked
    batch = pseudo_collate([{"img": a, "label": 1}, {"img": b, "label": 2}])
    assert list(batch) == ["img", "label"]
    assert isinstance(batch["img"], list) and batch["img"][0] is a and batch["img"][1] is b
    assert batch["label"] == [1, 2]


def test_pseudo_collate_tuples_are_transposed_as_mmengine_does() -> None:
    # MMEngine 0.10.7: a list with one tuple per field
    batch = pseudo_collate([(torch.zeros(2), "a"), (torch.ones(2), "b")])
    assert isinstance(batch, list) and len(batch) == 2
    assert batch[1] == ("a", "b")
    assert all(isinstance(t, torch.Tensor) and t.shape == (2,) for t in batch[0])
    assert pseudo_collate([[1, "a"], [2, "b"]]) == [(1, 2), ("a", "b")]

    Pair = namedtuple("Pair", "x y")
    nt = pseudo_collate([Pair(1, 2), Pair(3, 4)])
    assert nt == Pair((1, 3), (2, 4))


def test_pseudo_collate_nested_and_plain_items() -> None:
    batch = pseudo_collate([{"meta": {"id": 1}}, {"meta": {"id": 2}}])
    assert batch == {"meta": {"id": [1, 2]}}
    assert pseudo_collate(["x", "y"]) == ["x", "y"]
    assert pseudo_collate([]) == []


def test_pseudo_collate_mismatched_samples_are_named() -> None:
    # the exception types MMEngine's pseudo_collate raises (KeyError, RuntimeError)
    with pytest.raises(KeyError, match="sample 1 has keys"):
        pseudo_collate([{"a": 1}, {"b": 2}])
    with pytest.raises(RuntimeError, match="sample 1 has 1 elements"):
        pseudo_collate([(1, 2), (3,)])


def test_pseudo_collate_drops_keys_only_later_samples_have() -> None:
    assert pseudo_collate([{"a": 1}, {"a": 2, "b": 3}]) == {"a": [1, 2]}


def test_collate_functions_take_mmengines_keyword() -> None:
    # MMEngine's signature: pseudo_collate(data_batch) / default_collate(data_batch)
    samples = [{"x": torch.tensor(1)}, {"x": torch.tensor(2)}]
    assert pseudo_collate(data_batch=samples)["x"] == [torch.tensor(1), torch.tensor(2)]
    assert default_collate(data_batch=samples)["x"].tolist() == [1, 2]


class _OtherPackagesDataSample:
    """The interface of ``mmengine.structures.BaseDataElement``, in another package."""

    def __init__(self, **fields: object) -> None:
        self.fields = fields

    def set_metainfo(self, metainfo: dict) -> None: ...
    def metainfo_keys(self) -> list:
        return []

    def set_data(self, data: dict) -> None: ...
    def all_keys(self) -> list:
        return list(self.fields)

    def new(self, **kwargs: object) -> _OtherPackagesDataSample:
        return self


def test_default_collate_keeps_another_packages_data_elements_as_a_list() -> None:
    """Samples from an OpenMMLab library's transforms hold mmengine's data elements."""
    samples = [
        {"inputs": torch.zeros(3), "data_samples": _OtherPackagesDataSample(label=i)}
        for i in range(2)
    ]
    batch = default_collate(samples)
    assert batch["inputs"].shape == (2, 3)
    assert batch["data_samples"] == [s["data_samples"] for s in samples]

    class NotAnElement:  # an object without that interface is still refused, as by torch
        set_metainfo = None

    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        default_collate([{"x": NotAnElement()}, {"x": NotAnElement()}])
