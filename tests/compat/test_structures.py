"""runner_core.structures behaves as mmengine.structures documents."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from runner_core.structures import BaseDataElement, InstanceData, LabelData, PixelData


def test_metainfo_and_data_fields_are_separate() -> None:
    elem = BaseDataElement(metainfo=dict(img_shape=(8, 8)), scores=torch.ones(3))
    elem.labels = torch.tensor([1, 2, 3])
    assert elem.metainfo == {"img_shape": (8, 8)}
    assert sorted(elem.keys()) == ["labels", "scores"]
    assert elem.metainfo_keys() == ["img_shape"]
    assert "img_shape" in elem and "labels" in elem and "nope" not in elem
    with pytest.raises(AttributeError, match="already a metainfo field"):
        elem.img_shape = (4, 4)
    with pytest.raises(AttributeError, match="already a data field"):
        elem.set_metainfo(dict(labels=[0]))


def test_metainfo_is_deep_copied_and_data_is_shared() -> None:
    meta = dict(classes=["cat", "dog"])
    elem = BaseDataElement(metainfo=meta, scores=torch.zeros(2))
    meta["classes"].append("bird")
    assert elem.classes == ["cat", "dog"]
    clone = elem.clone()
    assert clone.scores is elem.scores and clone.metainfo == elem.metainfo


def test_new_keeps_metainfo_and_replaces_data() -> None:
    elem = BaseDataElement(metainfo=dict(img_id=7), scores=torch.zeros(2))
    same = elem.new()
    assert same.img_id == 7 and same.scores is elem.scores
    other = elem.new(labels=torch.ones(1))
    assert other.keys() == ["labels"] and other.img_id == 7
    relabelled = elem.new(metainfo=dict(img_id=9))
    assert relabelled.img_id == 9


def test_get_pop_and_delete() -> None:
    elem = BaseDataElement(metainfo=dict(img_id=1), scores=torch.zeros(1))
    assert elem.get("missing", 5) == 5
    assert elem.pop("img_id") == 1 and "img_id" not in elem
    assert elem.pop("missing", None) is None
    with pytest.raises(KeyError):
        elem.pop("missing")
    del elem.scores
    assert elem.keys() == []


def test_pop_with_three_arguments_is_an_assertion_error_as_in_mmengine() -> None:
    elem = BaseDataElement(scores=torch.zeros(1))
    for expected in (AssertionError, TypeError):
        with pytest.raises(expected, match="pop expects 1 or 2 arguments, got 3"):
            elem.pop("scores", None, None)
    assert "scores" in elem


def test_to_cpu_detach_numpy_and_to_tensor_return_new_elements() -> None:
    grad = torch.ones(2, requires_grad=True)
    elem = BaseDataElement(metainfo=dict(img_id=3), scores=grad * 2)
    detached = elem.detach()
    assert not detached.scores.requires_grad and detached.img_id == 3
    as_numpy = elem.numpy()
    assert isinstance(as_numpy.scores, np.ndarray) and isinstance(elem.scores, torch.Tensor)
    assert isinstance(as_numpy.to_tensor().scores, torch.Tensor)
    half = elem.to(torch.float16)
    assert half.scores.dtype == torch.float16 and elem.scores.dtype == torch.float32
    assert elem.cpu().scores.device.type == "cpu"


def test_missing_field_is_a_plain_attribute_error_and_derived_elements_keep_their_class() -> None:
    """Fields are typed Any for type checkers only: at runtime a missing one is
    Python's AttributeError, and derived elements are of the caller's class."""

    class DetSample(BaseDataElement):
        pass

    class DetInstances(InstanceData):
        pass

    elem = DetSample(metainfo=dict(img_id=3), scores=torch.ones(2))
    with pytest.raises(AttributeError, match="'DetSample' object has no attribute 'nope'"):
        elem.nope  # noqa: B018
    assert getattr(elem, "nope", 5) == 5 and not hasattr(elem, "nope")
    derived = [elem.new(), elem.clone(), elem.to("cpu"), elem.cpu(), elem.detach(), elem.numpy()]
    assert all(type(d) is DetSample and d.img_id == 3 for d in derived)
    inst = DetInstances(labels=torch.tensor([1, 2, 3]))
    assert all(type(x) is DetInstances for x in (inst[0], inst[1:], inst[[0, 2]], inst.clone()))
    assert torch.equal(inst["labels"], inst.labels)


def test_to_dict_recurses_into_nested_elements() -> None:
    inner = InstanceData(labels=torch.tensor([1]))
    outer = BaseDataElement(metainfo=dict(img_id=1), gt_instances=inner)
    assert outer.to_dict() == {"img_id": 1, "gt_instances": {"labels": torch.tensor([1])}}


class DetSample(BaseDataElement):
    """mmdet's DataSample pattern: a data field behind a property and its setter."""

    @property
    def gt_instances(self) -> InstanceData:
        return self._gt_instances

    @gt_instances.setter
    def gt_instances(self, value: InstanceData) -> None:
        self.set_field(value, "_gt_instances", dtype=InstanceData)


def test_property_backed_fields_list_the_property_name() -> None:
    sample = DetSample()
    sample.gt_instances = InstanceData(labels=torch.tensor([0, 1]))
    assert sample.keys() == ["gt_instances"]
    assert len(sample.gt_instances) == 2


def _instances() -> InstanceData:
    data = InstanceData(metainfo=dict(img_shape=(10, 10)))
    data.bboxes = torch.arange(16.0).view(4, 4)
    data.labels = torch.tensor([0, 1, 2, 3])
    data.names = ["a", "b", "c", "d"]
    data.masks = np.zeros((4, 2, 2))
    return data


def test_instance_data_length_and_mismatched_length() -> None:
    data = _instances()
    assert len(data) == 4
    with pytest.raises(AssertionError, match="length 3"):
        data.scores = torch.ones(3)
    with pytest.raises(AssertionError, match="must have a length"):
        data.score = 0.5


def test_instance_data_int_slice_list_and_mask_selection() -> None:
    data = _instances()
    one = data[1]
    assert len(one) == 1 and one.names == ["b"] and one.img_shape == (10, 10)
    assert data[-1].labels.tolist() == [3]
    assert data[1:3].names == ["b", "c"]
    picked = data[[0, 3]]
    assert picked.labels.tolist() == [0, 3] and picked.masks.shape == (2, 2, 2)
    masked = data[data.labels > 1]
    assert masked.names == ["c", "d"] and masked.bboxes[0, 0].item() == 8.0
    assert data["labels"] is data.labels
    with pytest.raises(IndexError):
        data[4]


def test_instance_data_cat_joins_every_field() -> None:
    data = _instances()
    joined = InstanceData.cat([data[:1], data[2:]])
    assert len(joined) == 3 and joined.names == ["a", "c", "d"]
    assert joined.labels.tolist() == [0, 2, 3] and joined.masks.shape == (3, 2, 2)
    assert joined.img_shape == (10, 10)


def test_label_data_one_hot_round_trip() -> None:
    onehot = LabelData.label_to_onehot(torch.tensor([1, 3]), num_classes=5)
    assert onehot.tolist() == [0, 1, 0, 1, 0]
    assert LabelData.onehot_to_label(onehot).tolist() == [1, 3]
    with pytest.raises(RuntimeError, match=r"expects a 1-D tensor .* got shape \(1, 2\)"):
        LabelData.label_to_onehot(torch.tensor([[1, 2]]), 5)  # MMEngine: RuntimeError
    column = LabelData.label_to_onehot(torch.tensor([[1], [2]]), 5)  # as MMEngine takes it
    assert column.tolist() == [0, 1, 1, 0, 0]
    # named by its value: the shape (2,) is fine
    with pytest.raises(ValueError, match=r"got the value 2 in \[0, 2\]; for class indices"):
        LabelData.onehot_to_label(torch.tensor([0, 2]))
    with pytest.raises(ValueError, match=r"got shape \(2, 2\)"):
        LabelData.onehot_to_label(torch.zeros(2, 2))


def test_pixel_data_shapes_and_cropping() -> None:
    pixels = PixelData(metainfo=dict(img_id=1))
    pixels.seg = torch.zeros(3, 20, 40)
    with pytest.warns(UserWarning, match="channel"):
        pixels.heat = np.zeros((20, 40))
    assert pixels.heat.shape == (1, 20, 40) and pixels.shape == (20, 40)
    with pytest.raises(AssertionError, match="height and width"):
        pixels.other = torch.zeros(1, 10, 10)
    crop = pixels[5:15, 0]
    assert crop.seg.shape == (3, 10, 1) and crop.img_id == 1
    for expected in (AssertionError, TypeError):  # MMEngine asserts (height, width)
        with pytest.raises(expected, match="indexed by \\(height, width\\)"):
            pixels[0, 0, 0]


def test_default_collate_keeps_data_elements_as_lists() -> None:
    from runner_core.data.collate import default_collate

    batch = [
        {"inputs": torch.zeros(3), "data_samples": InstanceData(metainfo=dict(img_id=i))}
        for i in range(2)
    ]
    out = default_collate(batch)
    assert out["inputs"].shape == (2, 3)
    assert [sample.img_id for sample in out["data_samples"]] == [0, 1]
    assert type(out["data_samples"]) is list


def test_default_collate_keeps_a_tuple_column_of_data_elements_a_tuple() -> None:
    """MMEngine: a ``(inputs, data_sample)`` sample gives ``[stacked, (ds0, ds1)]``."""
    from runner_core.data.collate import default_collate

    batch = [(torch.zeros(3), InstanceData(metainfo=dict(img_id=i))) for i in range(2)]
    inputs, samples = default_collate(batch)
    assert inputs.shape == (2, 3)
    assert type(samples) is tuple and [s.img_id for s in samples] == [0, 1]


def test_repr_has_mmengine_layout() -> None:
    inner = BaseDataElement(metainfo=dict(img_shape=(2, 3)), labels=torch.tensor([0, 1]))
    outer = BaseDataElement(metainfo=dict(img_shape=(2, 3)), gt=inner)
    assert repr(outer) == (
        "<BaseDataElement(\n\n"
        "    META INFORMATION\n"
        "    img_shape: (2, 3)\n\n"
        "    DATA FIELDS\n"
        "    gt: <BaseDataElement(\n        \n"
        "            META INFORMATION\n"
        "            img_shape: (2, 3)\n        \n"
        "            DATA FIELDS\n"
        "            labels: tensor([0, 1])\n"
        f"        ) at {hex(id(inner))}>\n"
        f") at {hex(id(outer))}>"
    )


def test_instance_data_errors_have_mmengine_types() -> None:
    class NoCat:
        def __init__(self, items: list) -> None:
            self.items = items

        def __len__(self) -> int:
            return len(self.items)

        def __getitem__(self, item: Any) -> NoCat:
            return NoCat(self.items[item])

    data = InstanceData(boxes=torch.zeros(3, 4), polygons=NoCat([1, 2, 3]))
    with pytest.raises(AssertionError):
        data[torch.tensor([0.0, 1.0])]  # float indices
    with pytest.raises(ValueError, match="cat"):
        data[torch.tensor([True, False, True])]
    with pytest.raises(ValueError, match="cat"):
        InstanceData.cat([data, data])
    assert data[0:2].polygons.items == [1, 2]  # a slice needs no cat


def test_instance_data_refuses_float_and_uint8_indices() -> None:
    data = _instances()
    with pytest.raises(AssertionError, match="scores > 0.5"):
        data[[0.4, 2.9]]  # would be truncated to rows 0 and 2
    with pytest.raises(TypeError, match="integers or a boolean mask"):
        data[np.array([0.1, 0.9, 0.2, 0.7])]  # scores passed where a mask was meant
    with pytest.raises(TypeError, match=r"\.bool\(\) for a mask"):
        data[torch.tensor([1, 0, 1, 0], dtype=torch.uint8)]
    with pytest.raises(TypeError, match=r"\.astype\(bool\) for a mask"):
        data[np.array([1, 0, 1, 0], dtype=np.uint8)]  # not indices [1, 0, 1, 0]
    assert data[np.array([3, 1], dtype=np.uint16)].labels.tolist() == [3, 1]
    assert data[np.array([3, 1], dtype=np.int32)].labels.tolist() == [3, 1]
    assert data[np.array([False, True, True, False])].names == ["b", "c"]
    assert len(data[[]]) == 0


@pytest.mark.parametrize("device", ["npu", "mlu", "musa"])
def test_vendor_device_methods_move_tensors_and_nested_elements(
    device: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MMEngine's ``npu()/mlu()/musa()``: tensors and nested elements move, the rest stays."""
    monkeypatch.setattr(torch.Tensor, device, lambda self: self + 100, raising=False)

    class DetSample(BaseDataElement):
        pass

    sample = DetSample(metainfo=dict(img_id=2), scores=torch.zeros(2), names=["a", "b"])
    sample.inner = InstanceData(labels=torch.tensor([1, 2]))
    moved = getattr(sample, device)()
    assert type(moved) is DetSample and moved.img_id == 2
    assert moved.scores.tolist() == [100.0, 100.0] and sample.scores.tolist() == [0.0, 0.0]
    assert moved.inner.labels.tolist() == [101, 102] and moved.names == ["a", "b"]


def test_vendor_device_method_without_the_extension_is_an_attribute_error() -> None:
    elem = BaseDataElement(scores=torch.zeros(1))
    assert BaseDataElement(names=["a"]).npu().names == ["a"]  # nothing to move: fine
    if not hasattr(torch.Tensor, "npu"):
        with pytest.raises(AttributeError, match="torch_npu"):
            elem.npu()


def test_instance_data_float_indices_are_an_index_error_as_in_mmengine() -> None:
    """MMEngine hands float indices to torch, which raises IndexError: code catching it works."""
    data = _instances()
    for floats in ([0.0, 1.0], np.array([0.1, 0.9, 0.2, 0.7])):
        with pytest.raises(IndexError, match="integers or a boolean mask"):
            data[floats]


def test_a_property_setter_that_refuses_a_value_leaves_no_half_set_field() -> None:
    """mmdet's DataSample pattern: a refused value must not leave a key whose value is
    missing (every later keys(), repr() or to() would fail)."""
    sample = DetSample()
    with pytest.raises(AssertionError):
        sample.gt_instances = torch.ones(2)  # type: ignore[assignment]
    assert sample.keys() == [] and "gt_instances" not in sample
    sample.gt_instances = InstanceData(labels=torch.tensor([1]))
    assert sample.keys() == ["gt_instances"] and "DetSample" in repr(sample.cpu())


def test_instance_lengths_are_checked_against_the_other_fields_even_when_empty() -> None:
    """An empty first field let any length through, and len() then depended on the set's
    order (the hash seed); replacing the only field is still allowed."""
    inst = InstanceData()
    inst.bboxes = torch.zeros(0, 4)
    with pytest.raises(AssertionError, match="holds 0 instances"):
        inst.labels = torch.tensor([1, 2])
    inst.bboxes = torch.zeros(2, 4)  # the only field, replaced: fine
    inst.labels = torch.tensor([1, 2])
    assert len(inst) == 2


def test_selecting_from_list_fields_keeps_order_and_refuses_a_bad_index() -> None:
    inst = InstanceData(labels=torch.arange(5), names=list("abcde"), tag="abcde")
    picked = inst[torch.tensor([True, False, True, False, True])]
    assert picked.names == ["a", "c", "e"] and picked.tag == "ace"
    assert inst[torch.tensor([4, 0, -1])].names == ["e", "a", "e"]
    with pytest.raises(IndexError):
        inst[torch.tensor([0, 7])]


def test_an_out_of_range_pixel_index_is_an_index_error() -> None:
    pixels = PixelData(mask=torch.zeros(1, 4, 5))
    assert pixels[-4, 0].shape == (1, 1)
    for bad in ((10, 0), (-5, 0), (0, 5)):
        with pytest.raises(IndexError, match="out of range"):
            pixels[bad]
