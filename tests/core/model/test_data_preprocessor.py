"""Batches follow the model's device; ImgDataPreprocessor converts, normalises and pads images."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from runner_core.model.base_model import ModuleAdapter
from runner_core.model.data_preprocessor import BaseDataPreprocessor


def _batch() -> list[torch.Tensor]:
    return [torch.randn(4, 3), torch.tensor([0, 1, 0, 1])]


def test_a_cpu_batch_comes_in_new_containers_holding_the_same_tensors() -> None:
    batch = _batch()
    for device in ("cpu", "cpu:0"):
        pre = BaseDataPreprocessor().to(device)
        out = pre(batch)
        assert out is not batch and all(a is b for a, b in zip(out, batch))  # no tensor copy


def _sample_batch() -> dict:
    from runner_core.structures import BaseDataElement

    sample = BaseDataElement(metainfo=dict(img_id=1), gt=torch.ones(2))
    return {"inputs": [torch.zeros(3, 4, 4)], "data_samples": [sample]}


def test_what_the_model_writes_onto_the_batch_stays_out_of_the_loaders_batch() -> None:
    # MMEngine's cast_data builds new containers and data elements (BaseDataElement.to())
    from runner_core.model import BaseModel, ImgDataPreprocessor

    for pre in (BaseDataPreprocessor(), ImgDataPreprocessor(mean=[0, 0, 0], std=[1, 1, 1])):
        batch = _sample_batch()
        out = pre(batch, False)
        out["data_samples"][0].pred = torch.zeros(1)  # what a model's predict() does
        out["extra"] = 1  # what a train_step of its own may do
        assert out is not batch and out["data_samples"] is not batch["data_samples"]
        assert "pred" not in batch["data_samples"][0] and "extra" not in batch
        assert out["data_samples"][0].gt is batch["data_samples"][0].gt  # the same tensor
        assert out["data_samples"][0].img_id == 1

    class Predictor(BaseModel):
        def forward(self, inputs, data_samples=None, mode="tensor"):
            for sample in data_samples:
                sample.pred = inputs[0].sum()
            return data_samples

    batch = _sample_batch()
    (predicted,) = Predictor().val_step(batch)  # the plain preprocessor on the CPU
    assert "pred" in predicted and "pred" not in batch["data_samples"][0]


def test_batches_follow_the_model_to_another_device() -> None:
    model = ModuleAdapter(nn.Linear(3, 2))
    model.to("meta")  # stands in for a GPU: the preprocessor is told where the weights went
    moved = model.data_preprocessor(_batch())
    assert [t.device.type for t in moved] == ["meta", "meta"]
    batch = _batch()
    out = ModuleAdapter(nn.Linear(3, 2)).data_preprocessor(batch)
    assert out is not batch and out[0] is batch[0]


def test_training_on_the_cpu_gives_the_loss_of_the_plain_module() -> None:
    torch.manual_seed(0)
    module = nn.Linear(3, 2)
    model = ModuleAdapter(module)
    x, y = _batch()

    class Recorder:
        loss: torch.Tensor | None = None

        def optim_context(self, model: nn.Module) -> object:
            from runner_core.optim.optim_wrapper import NULL_CONTEXT

            return NULL_CONTEXT

        def update_params(self, loss: torch.Tensor) -> None:
            self.loss = loss

    recorder = Recorder()
    out = model.train_step([x, y], recorder)
    expected = nn.functional.cross_entropy(module(x), y)
    torch.testing.assert_close(out["loss"], expected.detach())
    assert recorder.loss is not None and recorder.loss.requires_grad


# -- ImgDataPreprocessor: MMEngine's arguments -------------------------------------------------
def test_image_list_is_converted_normalised_padded_and_stacked() -> None:
    from runner_core.model import ImgDataPreprocessor

    pre = ImgDataPreprocessor(
        mean=[1.0, 2.0, 3.0], std=[2.0, 2.0, 2.0], bgr_to_rgb=True, pad_size_divisor=4, pad_value=-1
    )
    small = torch.arange(3 * 2 * 3, dtype=torch.uint8).view(3, 2, 3)  # (C, H, W) in BGR order
    large = torch.full((3, 5, 2), 7, dtype=torch.uint8)
    out = pre({"inputs": [small, large], "data_samples": ["a", "b"]})
    batch = out["inputs"]
    assert batch.shape == (2, 3, 8, 4)  # the largest H (5) and W (3), up to multiples of 4
    assert batch.dtype == torch.float32 and out["data_samples"] == ["a", "b"]
    rgb = small.flip(0).float()
    expected = (rgb - torch.tensor([1.0, 2.0, 3.0]).view(3, 1, 1)) / 2.0
    assert torch.equal(batch[0, :, :2, :3], expected)
    assert torch.all(batch[0, :, 2:, :] == -1) and torch.all(batch[0, :, :, 3:] == -1)
    assert torch.all(batch[1, :, :5, :2] == (7 - torch.tensor([1.0, 2.0, 3.0]).view(3, 1, 1)) / 2)


def test_batched_images_are_padded_to_the_divisor_and_tuple_batches_keep_labels() -> None:
    from runner_core.model import ImgDataPreprocessor

    pre = ImgDataPreprocessor(pad_size_divisor=8, rgb_to_bgr=True)
    images = torch.rand(2, 3, 5, 6)
    labels = torch.tensor([0, 1])
    out_images, out_labels = pre((images, labels))
    assert out_images.shape == (2, 3, 8, 8) and out_labels is labels
    assert torch.equal(out_images[:, :, :5, :6], images.flip(1))
    assert torch.all(out_images[:, :, 5:, :] == 0)


def test_feature_vectors_are_only_normalised() -> None:
    from runner_core.model import ImgDataPreprocessor

    pre = ImgDataPreprocessor(mean=[0.5], std=[0.25], pad_size_divisor=32)
    out = pre({"inputs": torch.ones(4, 64)})
    assert out["inputs"].shape == (4, 64) and torch.all(out["inputs"] == 2.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(bgr_to_rgb=True, rgb_to_bgr=True), "not both"),
        (dict(mean=[1, 2], std=[1, 2]), "1 value"),
        (dict(pad_size_divisor=0), ">= 1"),
        (dict(mean=[1]), "both mean and std"),
    ],
)
def test_bad_arguments_are_value_errors(kwargs, message) -> None:
    from runner_core.model import ImgDataPreprocessor

    with pytest.raises(ValueError, match=message):
        ImgDataPreprocessor(**kwargs)
    if "pad_size_divisor" not in kwargs:  # the others MMEngine asserts
        with pytest.raises(AssertionError, match=message):
            ImgDataPreprocessor(**kwargs)


def test_three_value_mean_needs_three_channel_images() -> None:
    from runner_core.model import ImgDataPreprocessor

    pre = ImgDataPreprocessor(mean=[1, 2, 3], std=[1, 1, 1])
    with pytest.raises(ValueError, match="3 channels"):
        pre({"inputs": [torch.zeros(1, 4, 4)]})
    with pytest.raises(AssertionError, match="3 channels"):  # MMEngine asserts
        pre({"inputs": [torch.zeros(1, 4, 4)]})
    for grey in (torch.zeros(4, 4), torch.zeros(10, 3)):  # (10, 3): not 3 channels either
        with pytest.raises(AssertionError, match="3 channels"):
            pre({"inputs": [grey]})


def test_img_preprocessor_passes_data_samples_none_when_the_batch_has_none() -> None:
    from runner_core.model import ImgDataPreprocessor

    out = ImgDataPreprocessor()({"inputs": [torch.zeros(3, 2, 2)]})
    assert out["data_samples"] is None and out["inputs"].shape == (1, 3, 2, 2)


def test_stack_batch_pads_every_dim_but_the_first() -> None:
    from runner_core.model import stack_batch

    for error in (ValueError, RuntimeError):  # MMEngine: RuntimeError (torch.stack)
        with pytest.raises(error, match="differ in it: \\[1, 3\\]"):
            stack_batch([torch.ones(1, 3, 3), torch.ones(3, 3, 3)])  # a grey and a colour image
        with pytest.raises(error, match="does not pad 1-D tensors.*lengths \\[3, 5\\]"):
            stack_batch([torch.ones(3), torch.ones(5)])
    with pytest.raises(AssertionError, match="expects a list of tensors"):
        stack_batch(torch.ones(2, 3, 3, 3))  # type: ignore[arg-type]
    assert stack_batch([torch.ones(3, 2, 3), torch.ones(3, 4, 1)]).shape == (2, 3, 4, 3)
    assert stack_batch([torch.ones(3), torch.ones(3)], 4).shape == (2, 3)


def test_stack_batch_pads_clips_in_time_and_maps_in_width_as_mmengine() -> None:
    from runner_core.model import stack_batch

    # (C, T, H, W) clips of 4 and 6 frames: MMEngine pads T too
    clips = stack_batch([torch.ones(3, 4, 5, 5), torch.ones(3, 6, 5, 5)], pad_value=-1)
    assert clips.shape == (2, 3, 6, 5, 5)
    assert torch.all(clips[0, :, 4:] == -1) and torch.all(clips[0, :, :4] == 1)
    assert stack_batch([torch.ones(3, 4, 5, 5)], pad_size_divisor=4).shape == (1, 3, 4, 8, 8)
    # (H, W) maps: the first dim is not padded, the second to a multiple of 8
    maps = stack_batch([torch.ones(5, 6), torch.ones(5, 9)], pad_size_divisor=8)
    assert maps.shape == (2, 5, 16) and torch.all(maps[0, :, 6:] == 0)


def test_stack_batch_of_nothing_or_mixed_ranks_is_an_assertion_error() -> None:
    from runner_core.model import stack_batch

    for error in (AssertionError, ValueError):  # MMEngine asserts; ValueError as before
        with pytest.raises(error, match="at least one tensor"):
            stack_batch([])
        with pytest.raises(error, match=r"one rank, got ranks \[3, 2\]"):
            stack_batch([torch.ones(3, 4, 4), torch.ones(4, 4)])


def test_device_follows_to_cpu_and_the_model() -> None:
    from runner_core.model import ImgDataPreprocessor

    for cls in (BaseDataPreprocessor, ImgDataPreprocessor):
        pre = cls()
        assert pre.device == torch.device("cpu")  # mmdet reads data_preprocessor.device
        assert pre.to("meta").device == torch.device("meta")
        assert pre.cpu().device == torch.device("cpu")
    model = ModuleAdapter(nn.Linear(3, 2))
    model.to("meta")
    assert model.data_preprocessor.device == torch.device("meta")


def test_a_mapping_its_class_cannot_rebuild_from_a_dict_comes_back_as_a_dict() -> None:
    # MMEngine's cast_data returns a dict for every Mapping; a defaultdict used to crash
    from collections import OrderedDict, defaultdict

    batch: defaultdict = defaultdict(list, inputs=torch.ones(2))
    out = BaseDataPreprocessor()(batch)
    assert type(out) is dict and out["inputs"] is batch["inputs"]
    ordered = BaseDataPreprocessor()(OrderedDict(inputs=torch.ones(2)))
    assert type(ordered) is OrderedDict


def test_non_blocking_reaches_the_data_elements() -> None:
    from runner_core.structures import BaseDataElement

    seen: list[dict] = []

    class Sample(BaseDataElement):
        def to(self, *args, **kwargs):
            seen.append(kwargs)
            return super().to(*args, **kwargs)

    pre = BaseDataPreprocessor(non_blocking=True)
    out = pre({"inputs": torch.ones(1), "data_samples": [Sample(gt=torch.ones(1))]})
    assert seen == [{"non_blocking": True}] and isinstance(out["data_samples"][0], Sample)


def test_batches_go_to_a_gpu_without_a_wait_and_back_with_one() -> None:
    # a blocking host-to-GPU copy synchronises the stream once per tensor, every step
    seen: list[tuple[str, bool]] = []

    class Recorded(torch.Tensor):
        def to(self, device, non_blocking=False):  # type: ignore[override]
            seen.append((str(device), non_blocking))
            return self

    batch = {"inputs": torch.ones(2).as_subclass(Recorded), "labels": [torch.ones(1)]}
    batch["labels"][0] = batch["labels"][0].as_subclass(Recorded)
    pre = BaseDataPreprocessor()
    pre._device = torch.device("cuda", 0)  # where .cuda() puts it; no GPU needed to cast
    pre(batch)
    assert seen == [("cuda:0", True), ("cuda:0", True)]
    assert pre.non_blocking is False  # the user's setting (MMEngine's default) is kept
    seen.clear()
    pre._device = torch.device("cpu")  # to the CPU a non-blocking copy is unsafe: blocking
    pre(batch)
    assert seen == [("cpu", False), ("cpu", False)]


def test_cuda_takes_an_index_a_device_or_a_name(monkeypatch: pytest.MonkeyPatch) -> None:
    # nn.Module.cuda takes all three; torch.device('cuda', torch.device(...)) used to raise
    monkeypatch.setattr(nn.Module, "cuda", lambda self, device=None: self)
    pre = BaseDataPreprocessor()
    assert pre.cuda(1).device == torch.device("cuda:1")
    assert pre.cuda(torch.device("cuda:2")).device == torch.device("cuda:2")
    assert pre.cuda("cuda:3").device == torch.device("cuda:3")


def test_subclasses_written_for_mmengine_read_its_attribute_names() -> None:
    # mmyolo's YOLOv5DetDataPreprocessor and mmdet3d's Det3DDataPreprocessor read these
    from runner_core.model import ImgDataPreprocessor

    class YoloLike(ImgDataPreprocessor):
        def forward(self, data, training=False):
            data = self.cast_data(data)
            inputs = data["inputs"]
            if self._channel_conversion and inputs.shape[1] == 3:
                inputs = inputs[:, [2, 1, 0], ...]
            if self._enable_normalize:
                inputs = (inputs - self.mean) / self.std
            return {"inputs": inputs, "data_samples": data.get("data_samples")}

    pre = YoloLike(mean=[0, 0, 0], std=[2, 2, 2], bgr_to_rgb=True, non_blocking=True)
    out = pre({"inputs": torch.arange(3.0).view(1, 3, 1, 1)})
    assert out["inputs"].flatten().tolist() == [1.0, 0.5, 0.0]
    assert pre._non_blocking is True and not ImgDataPreprocessor()._enable_normalize
    pre._non_blocking = False
    assert pre.non_blocking is False


def test_grey_hw_images_get_their_channel_from_a_one_value_mean() -> None:
    # as MMEngine's (1, 1, 1) mean broadcasts it: a Conv2d(1, ...) takes the batch
    from runner_core.model import ImgDataPreprocessor

    images = [torch.full((4, 5), 33.0), torch.full((4, 5), 111.0)]
    out = ImgDataPreprocessor(mean=[33.0], std=[78.0])(dict(inputs=images))["inputs"]
    assert out.shape == (2, 1, 4, 5)
    assert out[:, 0, 0, 0].tolist() == [0.0, 1.0]


def test_every_preprocessor_follows_the_model_also_without_parameters() -> None:
    """MMEngine's ``to`` moves every preprocessor in the model: a distiller's second one,
    and the one of a model holding only buffers."""
    from runner_core.model import BaseModel

    class Distiller(BaseModel):
        def __init__(self) -> None:
            super().__init__()
            self.student = nn.Linear(3, 2)
            self.teacher_preprocessor = BaseDataPreprocessor()

        def forward(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return {}

    class BuffersOnly(Distiller):
        def __init__(self) -> None:
            BaseModel.__init__(self)
            self.register_buffer("table", torch.zeros(2))

    model = Distiller().to("meta")
    assert model.teacher_preprocessor.device == torch.device("meta")
    assert model.data_preprocessor.device == torch.device("meta")
    assert BuffersOnly().to("meta").data_preprocessor.device == torch.device("meta")


def test_hooks_and_a_patched_forward_on_the_preprocessor_run_on_the_cpu() -> None:
    """The CPU shortcut that skips calling a plain preprocessor skips nothing a user added."""
    from runner_core.model import BaseModel
    from runner_core.optim import OptimWrapper

    class Net(BaseModel):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 2)

        def forward(self, inputs, labels=None, mode="tensor"):  # type: ignore[no-untyped-def]
            out = self.fc(inputs)
            return {"loss": out.sum()} if mode == "loss" else out

    for model in (Net(), ModuleAdapter(nn.Linear(3, 2))):
        seen: list[bool] = []
        model.data_preprocessor.register_forward_hook(
            lambda m, args, out, seen=seen: seen.append(args[1])
        )
        wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
        model.train_step(_batch(), wrapper)
        model.val_step(_batch())
        assert seen == [True, False]
        patched: list[Any] = []
        model.data_preprocessor.forward = lambda data, training=False, patched=patched: (
            patched.append(data) or data
        )
        model.test_step(_batch())
        assert len(patched) == 1
