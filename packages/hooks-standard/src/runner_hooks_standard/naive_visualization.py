"""``NaiveVisualizationHook``: hand each test image, as it was before the pipeline, to the visualizer.

MMEngine's hook of that name (marked "functions incorrectly" in 0.10.7: it
reads an old batch layout and passes the prediction where ``draw_gt``
goes). This one reads today's batches (``dict(inputs=..., data_samples=...)``,
or a list of such dicts) and, for every ``interval``-th test iteration,
turns each input back into the image a person would look at, using its
data sample's metainfo:

1. de-normalise with ``img_norm_cfg`` (``mean``/``std``, per channel);
2. cut the padding off: keep ``img_shape`` (h, w), else MMEngine's ``scale``
   (w, h) when the sample has a ``pad_shape``;
3. resize (bilinear) back to ``ori_shape`` (h, w) when that differs, so
   predictions in original-image coordinates line up;
4. bring it to 0-255 from what is known, never from its pixel values alone
   (a night photo whose pixels are all 0 or 1 must stay dark): an integer
   (``uint8``) input is 0-255; a ``mean``/``std`` above 1 (MMEngine's configs
   give them in 0-255 units) means 0-255, one within [0, 1] (torchvision's
   ImageNet values, ``0.5``/``0.5``) means 0-1 and is scaled by 255. The
   sample's ``img_norm_cfg`` decides first; a batch without one was not
   normalised, and the model's ``data_preprocessor`` ``mean``/``std`` tell
   the units it expects. Only a float input with none of these is taken as
   0-1 when its values lie within [0, 1].

Then it calls ``runner.visualizer.add_datasample(name, image, data_sample,
draw_gt, draw_pred, show, wait_time, step)``: ``name`` is the file name of
``img_path`` (``'test_img'`` without one), ``step`` counts images over the
test run, and ``data_sample`` is the model's output for that image when it
is a data sample (OpenMMLab models return one per image, carrying the ground
truth too), else the input's data sample. A task's Visualizer subclass draws and
saves; the base ``Visualizer.add_datasample`` does nothing, as in MMEngine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from runner_core.contract import RunnerAPI
from runner_core.errors import HookAssertionError, HookError, HookTypeError
from runner_core.hooks import Hook, Priority


def _meta(sample: Any, key: str) -> Any:
    """``key`` of a data sample's metainfo (a ``BaseDataElement``, a dict, or None)."""
    if sample is None:
        return None
    if isinstance(sample, Mapping) or hasattr(sample, "get"):
        return sample.get(key)
    return getattr(sample, key, None)


def _pairs(data_batch: Any) -> list[tuple[Any, Any]]:
    """``(input image, data sample)`` for each image of ``data_batch``."""
    if isinstance(data_batch, Mapping):
        inputs = data_batch.get("inputs")
        samples = data_batch.get("data_samples", data_batch.get("data_sample"))
    elif isinstance(data_batch, Sequence) and data_batch and isinstance(data_batch[0], Mapping):
        # MMEngine's older layout: one dict per image
        return [(d.get("inputs"), d.get("data_samples", d.get("data_sample"))) for d in data_batch]
    elif isinstance(data_batch, Sequence) and not isinstance(data_batch, str) and data_batch:
        inputs, samples = data_batch[0], None  # (images, targets) from a plain Dataset
    else:
        inputs, samples = None, None
    if inputs is None:
        raise HookError(
            "NaiveVisualizationHook: cannot find the images in the test batch (a "
            f"{type(data_batch).__name__}); it reads dict(inputs=..., data_samples=...), a list of "
            "such dicts, or an (images, ...) tuple."
        )
    images = list(inputs)  # a (N, C, H, W) tensor or a list of (C, H, W) tensors
    if samples is None or not isinstance(samples, Sequence):
        samples = [None] * len(images)
    return list(zip(images, samples))


class NaiveVisualizationHook(Hook):
    """Give each test image, un-padded and de-normalised, to ``visualizer.add_datasample``.

    Only rank 0 draws (MMEngine's drawing methods are rank-0-only). A
    Visualizer subclass of the task (detection, segmentation) draws and saves.

    Args:
        interval: every ``interval``-th test iteration (batch) of each run is drawn.
        draw_gt: passed on: whether the visualizer draws the ground truth.
        draw_pred: passed on: whether it draws the predictions.
        show: passed on: whether it shows the drawn image in a window
            (rather than saving it through the vis backends).
        wait_time: passed on: seconds a shown image stays (0: until a key).
        bgr_to_rgb: flip the channels of 3-channel inputs (pipelines that load
            images with OpenCV keep them BGR; the visualizer takes RGB).
    """

    priority: int | str = Priority.NORMAL

    def __init__(
        self,
        interval: int = 1,
        draw_gt: bool = True,
        draw_pred: bool = True,
        show: bool = False,
        wait_time: float = 0.0,
        bgr_to_rgb: bool = False,
    ) -> None:
        if isinstance(interval, bool) or not isinstance(interval, int):
            raise HookTypeError(
                f"NaiveVisualizationHook(interval={interval!r}): give an int, the number of "
                "test iterations between two drawn batches."
            )
        if interval < 1:
            raise HookAssertionError(
                f"NaiveVisualizationHook(interval={interval}): give 1 or more (1 draws every "
                "test batch)."
            )
        self.interval = interval
        self.draw_gt = draw_gt
        self.draw_pred = draw_pred
        self.show = show
        self.wait_time = wait_time
        self.bgr_to_rgb = bgr_to_rgb
        self._count = 0  # images handed over in this test run (the step)

    def before_train(self, runner: RunnerAPI) -> None:
        """Give the model to the backends that record graphs (MMEngine's hook does)."""
        if runner.visualizer is not None:
            runner.visualizer.add_graph(runner.model, None)

    def before_test(self, runner: RunnerAPI) -> None:
        self._count = 0

    def after_test_iter(
        self,
        runner: RunnerAPI,
        batch_idx: int,
        data_batch: Any = None,
        outputs: Any = None,
    ) -> None:
        visualizer = runner.visualizer
        if visualizer is None or runner.rank != 0:
            return
        if not self.every_n_inner_iters(batch_idx, self.interval):
            return
        per_image = outputs if isinstance(outputs, Sequence) else []
        model = getattr(runner, "unwrapped_model", None)
        preprocessor = getattr(model, "data_preprocessor", None)
        for i, (inputs, sample) in enumerate(_pairs(data_batch)):
            output = per_image[i] if i < len(per_image) else None
            if not (isinstance(output, Mapping) or hasattr(output, "metainfo")):
                output = None  # not a data sample per image (a tensor, a score): keep the input's
            image = self.input_to_image(inputs, sample, preprocessor)
            path = _meta(sample, "img_path")
            name = os.path.basename(str(path)) if path else "test_img"
            visualizer.add_datasample(
                name,
                image,
                data_sample=sample if output is None else output,
                draw_gt=self.draw_gt,
                draw_pred=self.draw_pred,
                show=self.show,
                wait_time=self.wait_time,
                step=self._count,
            )
            self._count += 1

    def input_to_image(self, inputs: Any, sample: Any = None, data_preprocessor: Any = None) -> Any:
        """The (H, W, 3) RGB ``uint8`` image of one (C, H, W) input, as described above.

        ``data_preprocessor`` (the model's) only tells the units of inputs that
        carry no ``img_norm_cfg``; the batch reaches this hook before it.
        """
        import torch

        from runner_core.visualization.png import as_rgb_array

        tensor = torch.as_tensor(inputs).detach().cpu()
        if tensor.ndim == 2:
            tensor = tensor[None]
        if tensor.ndim != 3 or tensor.shape[0] not in (1, 3):
            raise HookError(
                "NaiveVisualizationHook: an input image should be (C, H, W) with 1 or 3 "
                f"channels, got shape {tuple(tensor.shape)}."
            )
        integer_input = not (tensor.is_floating_point() or tensor.is_complex())
        tensor = tensor.double()
        norm = _meta(sample, "img_norm_cfg") or {}
        mean, std = norm.get("mean"), norm.get("std")
        if integer_input:
            unit_range: bool | None = False
        elif norm:
            unit_range = _unit_range(mean, std)
        else:
            unit_range = _unit_range(
                getattr(data_preprocessor, "mean", None), getattr(data_preprocessor, "std", None)
            )
        if std is not None:
            tensor = tensor * torch.as_tensor(std, dtype=torch.double).reshape(-1, 1, 1)
        if mean is not None:
            tensor = tensor + torch.as_tensor(mean, dtype=torch.double).reshape(-1, 1, 1)
        if self.bgr_to_rgb and tensor.shape[0] == 3:
            tensor = tensor.flip(0)
        height, width = _unpadded_size(sample, tensor.shape[1], tensor.shape[2])
        tensor = tensor[:, :height, :width]
        ori = _meta(sample, "ori_shape")
        if ori is None and _meta(sample, "ori_height") is not None:
            ori = (_meta(sample, "ori_height"), _meta(sample, "ori_width"))
        if ori is not None and tuple(int(s) for s in ori[:2]) != (height, width):
            tensor = torch.nn.functional.interpolate(
                tensor[None], size=(int(ori[0]), int(ori[1])), mode="bilinear", align_corners=False
            )[0]
        if unit_range is None:  # nothing known: a float image within [0, 1] is taken as 0-1
            unit_range = (
                tensor.numel() > 0 and float(tensor.min()) >= 0 and float(tensor.max()) <= 1
            )
        if unit_range:
            tensor = tensor * 255.0
        # uint8 here, so that as_rgb_array does not guess the range from the values again
        tensor = tensor.clamp(0, 255).round().to(torch.uint8)
        return as_rgb_array(tensor.permute(1, 2, 0).numpy(), "NaiveVisualizationHook")


def _unit_range(mean: Any, std: Any) -> bool | None:
    """Whether normalising ``mean``/``std`` are in 0-1 units; None when they tell nothing.

    MMEngine's configs give them in 0-255 units (``mean=[123.675, ...]``);
    torchvision-style ones lie within [0, 1]. No values, or the identity
    (mean 0, std 1), fit both.
    """
    import torch

    if mean is None and std is None:
        return None
    means = torch.as_tensor(0.0 if mean is None else mean, dtype=torch.double).flatten()
    stds = torch.as_tensor(1.0 if std is None else std, dtype=torch.double).flatten()
    if bool((means.abs() > 1).any()) or bool((stds > 1).any()):
        return False
    if bool((means == 0).all()) and bool((stds == 1).all()):
        return None
    return True


def _unpadded_size(sample: Any, height: int, width: int) -> tuple[int, int]:
    """The (h, w) of the image inside its padding: ``img_shape``, else MMEngine's ``scale``."""
    shape = _meta(sample, "img_shape")
    if shape is not None:
        return min(int(shape[0]), height), min(int(shape[1]), width)
    scale = _meta(sample, "scale")  # MMEngine's hook: (w, h), used when padded
    if scale is not None and _meta(sample, "pad_shape") is not None:
        return min(int(scale[1]), height), min(int(scale[0]), width)
    return height, width
