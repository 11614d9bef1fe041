"""NaiveVisualizationHook gives each test image, un-padded and de-normalised, to the visualizer."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from runner_core import BaseModel, Runner
from runner_core.errors import HookError
from runner_core.model import ImgDataPreprocessor
from runner_core.registry import HOOKS
from runner_core.structures import BaseDataElement
from runner_core.visualization import Visualizer
from runner_hooks_standard import NaiveVisualizationHook

MEAN, STD = [10.0, 20.0, 30.0], [2.0, 4.0, 5.0]


def original(i: int) -> torch.Tensor:
    """The (3, 6, 9) image of sample ``i`` as it was on disk (0-255)."""
    g = torch.Generator().manual_seed(i)
    return torch.randint(0, 256, (3, 6, 9), generator=g).double()


class PaddedImages(torch.utils.data.Dataset):
    """Normalised images padded to (8, 10); sample 1 was resized from a (12, 18) original."""

    def __len__(self) -> int:
        return 3

    def __getitem__(self, i: int) -> dict:
        mean = torch.tensor(MEAN).reshape(3, 1, 1)
        std = torch.tensor(STD).reshape(3, 1, 1)
        padded = torch.zeros(3, 8, 10)
        padded[:, :6, :9] = (original(i) - mean) / std
        meta = dict(
            img_shape=(6, 9),
            pad_shape=(8, 10),
            ori_shape=(12, 18) if i == 1 else (6, 9),
            img_norm_cfg=dict(mean=MEAN, std=STD),
        )
        if i != 2:
            meta["img_path"] = f"/data/images/img_{i}.png"
        return dict(inputs=padded, data_samples=BaseDataElement(metainfo=meta, gt_label=i))


class Predictor(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(1.0))

    def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
        outputs = []
        for sample in data_samples:
            out = copy.deepcopy(sample)
            out.pred_label = 7
            outputs.append(out)
        return outputs


class Collect:
    def process(self, data_samples: Any, data_batch: Any = None) -> None:
        pass

    def evaluate(self, size: int) -> dict:
        return {"n": size}


class RecordingVisualizer(Visualizer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[dict[str, Any]] = []

    def add_datasample(
        self,
        name: str,
        image: Any,
        data_sample: Any = None,
        draw_gt: bool = True,
        draw_pred: bool = True,
        show: bool = False,
        wait_time: float = 0,
        step: int = 0,
        **kwargs: Any,
    ) -> None:
        self.calls.append(
            dict(
                name=name,
                image=image,
                sample=data_sample,
                draw_gt=draw_gt,
                draw_pred=draw_pred,
                show=show,
                wait_time=wait_time,
                step=step,
            )
        )


def make_runner(tmp_path: Path, hook: NaiveVisualizationHook, batch_size: int = 2) -> Runner:
    return Runner(
        model=Predictor(),
        work_dir=str(tmp_path),
        test_dataloader=dict(
            dataset=PaddedImages(), batch_size=batch_size, collate_fn=dict(type="pseudo_collate")
        ),
        test_evaluator=Collect(),
        test_cfg=dict(),
        visualizer=RecordingVisualizer("t_naive_vis"),
        custom_hooks=[hook],
    )


def run_test(tmp_path: Path, hook: NaiveVisualizationHook, batch_size: int = 2) -> Any:
    runner = make_runner(tmp_path, hook, batch_size)
    runner.test()
    return runner.visualizer


def test_each_test_image_is_unpadded_denormalised_and_resized_back(tmp_path: Path) -> None:
    visualizer = run_test(tmp_path, NaiveVisualizationHook(draw_gt=False, wait_time=0.5))
    calls = visualizer.calls
    assert [c["name"] for c in calls] == ["img_0.png", "img_1.png", "test_img"]
    assert [c["step"] for c in calls] == [0, 1, 2]  # images counted over the test run
    assert [c["image"].shape for c in calls] == [(6, 9, 3), (12, 18, 3), (6, 9, 3)]
    assert all(c["image"].dtype == np.uint8 for c in calls)
    for i in (0, 2):  # exactly the original pixels, in (H, W, RGB) order
        expected = original(i).permute(1, 2, 0).numpy()
        assert np.array_equal(calls[i]["image"], expected.astype(np.uint8))
    # the data sample is the model's output for the image (it carries the ground truth too)
    assert [(c["sample"].gt_label, c["sample"].pred_label) for c in calls] == [
        (0, 7),
        (1, 7),
        (2, 7),
    ]
    assert {(c["draw_gt"], c["draw_pred"], c["show"], c["wait_time"]) for c in calls} == {
        (False, True, False, 0.5)
    }


def test_a_second_test_run_counts_from_zero_and_interval_skips_batches(tmp_path: Path) -> None:
    runner = make_runner(tmp_path, NaiveVisualizationHook(interval=2), batch_size=1)
    runner.test()
    runner.test()
    calls = runner.visualizer.calls
    assert [c["name"] for c in calls] == ["img_1.png", "img_1.png"]  # the 2nd of 3 batches
    assert [c["step"] for c in calls] == [0, 0]


def test_outputs_that_are_not_data_samples_leave_the_input_sample() -> None:
    visualizer = RecordingVisualizer("t_nv_tensor")
    runner: Any = type("R", (), {"visualizer": visualizer, "rank": 0})()
    sample = BaseDataElement(metainfo=dict(img_path="a/b.jpg"))
    batch = dict(inputs=torch.zeros(1, 3, 4, 5), data_samples=[sample])
    NaiveVisualizationHook().after_test_iter(runner, 0, batch, outputs=torch.zeros(1, 2))
    assert visualizer.calls[0]["sample"] is sample and visualizer.calls[0]["name"] == "b.jpg"
    runner.rank = 1  # only rank 0 draws
    NaiveVisualizationHook().after_test_iter(runner, 0, batch, outputs=None)
    assert len(visualizer.calls) == 1


def test_bgr_inputs_are_flipped_to_rgb() -> None:
    hook = NaiveVisualizationHook(bgr_to_rgb=True)
    bgr = torch.zeros(3, 2, 2)
    bgr[0] = 255  # blue in BGR order
    assert hook.input_to_image(bgr)[0, 0].tolist() == [0, 0, 255]
    assert hook.input_to_image(torch.full((1, 2, 2), 9.0)).shape == (2, 2, 3)  # grey


def test_bad_arguments_and_batches_say_what_is_expected() -> None:
    assert HOOKS.get("NaiveVisualizationHook") is NaiveVisualizationHook
    with pytest.raises(TypeError, match="interval='1'"):
        NaiveVisualizationHook(interval="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="interval=0"):
        NaiveVisualizationHook(interval=0)
    hook = NaiveVisualizationHook()
    with pytest.raises(HookError, match="1 or 3 channels, got shape"):
        hook.input_to_image(torch.zeros(4, 2, 2))
    runner: Any = type("R", (), {"visualizer": Visualizer("t_nv"), "rank": 0})()
    with pytest.raises(HookError, match=r"dict\(inputs=..., data_samples=...\)"):
        hook.after_test_iter(runner, 0, data_batch=5, outputs=None)


def night_photo() -> torch.Tensor:
    """A (3, 4, 5) 0-255 image whose pixels are all 0 or 1 (nearly black)."""
    return (torch.arange(60).reshape(3, 4, 5) % 2).to(torch.uint8)


def test_a_dark_uint8_image_is_not_brightened() -> None:
    image = NaiveVisualizationHook().input_to_image(night_photo())
    assert np.array_equal(image, night_photo().permute(1, 2, 0).numpy())


def test_mean_std_in_0_255_units_keep_a_dark_image_dark() -> None:
    mean, std = torch.tensor(MEAN).reshape(3, 1, 1), torch.tensor(STD).reshape(3, 1, 1)
    normalised = (night_photo().float() - mean) / std
    sample = BaseDataElement(metainfo=dict(img_norm_cfg=dict(mean=MEAN, std=STD)))
    image = NaiveVisualizationHook().input_to_image(normalised, sample)
    assert np.array_equal(image, night_photo().permute(1, 2, 0).numpy())


def test_mean_std_in_0_1_units_are_scaled_to_0_255() -> None:
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    pixels = torch.tensor([0.0, 0.2, 1.0]).reshape(1, 1, 3).expand(3, 1, 3)
    normalised = (pixels - torch.tensor(mean).reshape(3, 1, 1)) / torch.tensor(std).reshape(3, 1, 1)
    sample = BaseDataElement(metainfo=dict(img_norm_cfg=dict(mean=mean, std=std)))
    image = NaiveVisualizationHook().input_to_image(normalised, sample)
    assert image[0, :, 0].tolist() == [0, 51, 255]


def test_a_float_image_with_nothing_known_is_0_1_within_0_1() -> None:
    hook = NaiveVisualizationHook()
    assert hook.input_to_image(torch.full((1, 2, 2), 0.5))[0, 0].tolist() == [128] * 3
    assert hook.input_to_image(torch.full((1, 2, 2), 1.5))[0, 0].tolist() == [2] * 3


class DarkFloatImages(torch.utils.data.Dataset):
    """Un-normalised float 0-255 night photos: the data preprocessor normalises them."""

    def __len__(self) -> int:
        return 2

    def __getitem__(self, i: int) -> dict:
        meta = dict(img_path=f"night_{i}.png")
        return dict(inputs=night_photo().float(), data_samples=BaseDataElement(metainfo=meta))


def test_the_data_preprocessors_mean_std_tell_the_units_of_raw_inputs(tmp_path: Path) -> None:
    model = Predictor()
    model.data_preprocessor = ImgDataPreprocessor(mean=[123.675, 116.28, 103.53], std=[58.4] * 3)
    runner = Runner(
        model=model,
        work_dir=str(tmp_path),
        test_dataloader=dict(
            dataset=DarkFloatImages(), batch_size=2, collate_fn=dict(type="pseudo_collate")
        ),
        test_evaluator=Collect(),
        test_cfg=dict(),
        visualizer=RecordingVisualizer("t_naive_vis_dark"),
        custom_hooks=[NaiveVisualizationHook()],
    )
    runner.test()
    images = [c["image"] for c in runner.visualizer.calls]
    assert len(images) == 2
    assert all(np.array_equal(im, night_photo().permute(1, 2, 0).numpy()) for im in images)
