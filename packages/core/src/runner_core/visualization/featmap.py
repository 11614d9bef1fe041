"""``draw_featmap``: a (C, H, W) feature map as a jet heat map, alone or over an image.

MMEngine does this with OpenCV (``cv2.normalize``, ``cv2.applyColorMap``,
``cv2.resize``, ``cv2.addWeighted``); here numpy and torch do the same steps:
min-max scaling to 0-255, OpenCV's jet colours (the piecewise-linear MATLAB
jet: 767 of ``cv2.COLORMAP_JET``'s 768 table values exactly, the last one
level off; matplotlib's own ``jet`` is up to 34 levels off it), bilinear resizing with half-pixel centres, and a
rounded weighted sum. Only the ``topk`` grid, which lays channels out in
matplotlib subplots with a caption, needs matplotlib.
"""

from __future__ import annotations

from typing import Any

from .drawing_errors import DrawingAssertionTypeError, DrawingValueError

_WHERE = "Visualizer.draw_featmap"
_REDUCTIONS = ("squeeze_mean", "select_max")
# MATLAB's jet (what OpenCV's COLORMAP_JET samples): (position, value) knots per channel
_JET = (
    ((0.0, 0.0), (0.375, 0.0), (0.625, 1.0), (0.875, 1.0), (1.0, 0.5)),
    ((0.0, 0.0), (0.125, 0.0), (0.375, 1.0), (0.625, 1.0), (0.875, 0.0), (1.0, 0.0)),
    ((0.0, 0.5), (0.125, 1.0), (0.375, 1.0), (0.625, 0.0), (1.0, 0.0)),
)


def jet_lut() -> Any:
    """The 256 x 3 ``uint8`` RGB table of OpenCV's ``COLORMAP_JET`` (one value one level off)."""
    import numpy as np

    x = np.arange(256) / 255.0
    channels = [np.interp(x, [k[0] for k in knots], [k[1] for k in knots]) for knots in _JET]
    # OpenCV keeps the table in float32 and scales it there: its rounding of the x.5 levels
    table = np.stack(channels, axis=1).astype(np.float32) * np.float32(255)
    return np.rint(table).astype(np.uint8)


def _to_uint8_levels(values: Any) -> Any:
    """Min-max scale to 0-255 and truncate (``cv2.normalize(NORM_MINMAX)`` then ``uint8``).

    OpenCV's arithmetic: ``x * scale + shift`` with float32 ``scale`` and
    ``shift``, rounded once to float32 (a fused multiply-add), then truncated;
    a level differs from OpenCV's for about one pixel in ten thousand.
    """
    import numpy as np

    values = np.asarray(values, dtype=np.float32)
    low, high = float(values.min()), float(values.max())
    scale = 255.0 * (1.0 / (high - low)) if high - low > np.finfo(np.float64).eps else 0.0
    shift = 0.0 - low * scale
    # a float32 product is exact in float64, so this rounds once, as a fused multiply-add
    mixed = values.astype(np.float64) * np.float32(scale) + np.float32(shift)
    return np.clip(mixed.astype(np.float32), 0, 255).astype(np.uint8)


def blend(image: Any, overlay: Any, alpha: float) -> Any:
    """``image * (1 - alpha) + overlay * alpha``, rounded to ``uint8`` (``cv2.addWeighted``)."""
    import numpy as np

    mixed = image.astype(np.float64) * (1 - alpha) + overlay.astype(np.float64) * alpha
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


def heatmap(feat_map: Any, image: Any = None, alpha: float = 0.5) -> Any:
    """An (H, W) or (1 or 3, H, W) map as a jet RGB ``uint8`` image, blended over ``image``."""
    import numpy as np

    values = feat_map.detach().cpu().numpy() if hasattr(feat_map, "detach") else feat_map
    values = np.asarray(values)
    if values.ndim == 3:
        values = values.transpose(1, 2, 0)
    levels = _to_uint8_levels(values)
    if levels.ndim == 3 and levels.shape[-1] == 3:
        # OpenCV colours a 3-channel map by its grey level, reading the channels as B, G, R
        grey = levels[..., 0] * 0.114 + levels[..., 1] * 0.587 + levels[..., 2] * 0.299
        levels = np.rint(grey).astype(np.uint8)
    elif levels.ndim == 3:
        levels = levels[..., 0]
    heat = jet_lut()[levels]
    if image is not None:
        heat = blend(image, heat, alpha)
    return heat


def _resize_image(image: Any, shape: tuple[int, int]) -> Any:
    """``image`` (H, W, 3) ``uint8`` resized bilinearly to ``shape`` (h, w) (``cv2.resize``)."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    tensor = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].double()
    resized = F.interpolate(tensor, size=tuple(shape), mode="bilinear", align_corners=False)
    return resized[0].permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8).numpy()


def _check_shape_arg(name: str, value: Any) -> tuple[int, int]:
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(isinstance(v, int) and v > 0 for v in value)
    ):
        raise DrawingValueError(
            f"{_WHERE}: `{name}` should be two positive ints, got {value!r}."
            + (" It is (height, width)." if name == "resize_shape" else " It is (rows, columns).")
        )
    return int(value[0]), int(value[1])


def draw_featmap(
    featmap: Any,
    overlaid_image: Any = None,
    channel_reduction: str | None = "squeeze_mean",
    topk: int = 20,
    arrangement: tuple[int, int] = (4, 5),
    resize_shape: tuple[int, int] | None = None,
    alpha: float = 0.5,
) -> Any:
    """MMEngine's ``Visualizer.draw_featmap``: see ``DrawingMixin.draw_featmap``."""
    import warnings

    import numpy as np
    import torch
    import torch.nn.functional as F

    if isinstance(featmap, np.ndarray):
        featmap = torch.from_numpy(featmap)
    if not isinstance(featmap, torch.Tensor):
        raise DrawingAssertionTypeError(
            f"{_WHERE}: `featmap` should be a torch.Tensor (C, H, W), got {type(featmap).__name__}."
        )
    if featmap.ndim != 3:
        raise DrawingValueError(
            f"{_WHERE}: `featmap` should be (C, H, W), got shape {tuple(featmap.shape)}; take "
            "one sample of a batch with featmap[0]."
        )
    featmap = featmap.detach().cpu().float()
    if resize_shape is not None:
        resize_shape = _check_shape_arg("resize_shape", resize_shape)
    from .png import as_rgb_array

    image = (
        None
        if overlaid_image is None
        else as_rgb_array(overlaid_image, _WHERE + "(overlaid_image=...)")
    )
    if image is not None and image.shape[:2] != tuple(featmap.shape[1:]):
        warnings.warn(
            f"{_WHERE}: overlaid_image is {image.shape[:2]} and featmap {tuple(featmap.shape[1:])} "
            "(height, width); the feature map is resized to the image (bilinear), which may not "
            "line up with what it was computed from.",
            UserWarning,
            stacklevel=3,
        )
        if resize_shape is None:
            featmap = F.interpolate(
                featmap[None], image.shape[:2], mode="bilinear", align_corners=False
            )[0]
    if resize_shape is not None:
        featmap = F.interpolate(featmap[None], resize_shape, mode="bilinear", align_corners=False)[
            0
        ]
        if image is not None:
            image = _resize_image(image, resize_shape)

    if channel_reduction is not None:
        if channel_reduction not in _REDUCTIONS:
            raise DrawingValueError(
                f"{_WHERE}: `channel_reduction` should be 'squeeze_mean', 'select_max' or None, "
                f"got {channel_reduction!r}."
            )
        if channel_reduction == "select_max":
            strongest = int(torch.argmax(featmap.sum(dim=(1, 2))))
            reduced = featmap[strongest]
        else:
            reduced = featmap.mean(dim=0)
        return heatmap(reduced, image, alpha)
    if topk <= 0:
        if featmap.shape[0] not in (1, 3):
            raise DrawingValueError(
                f"{_WHERE}: with channel_reduction=None and topk={topk} the feature map is drawn "
                f"as an image, so it needs 1 or 3 channels, got {featmap.shape[0]}; set "
                "channel_reduction='squeeze_mean' or 'select_max', or topk > 0 for a grid."
            )
        return heatmap(featmap, image, alpha)
    rows, cols = _check_shape_arg("arrangement", arrangement)
    if rows * cols < topk:
        raise DrawingValueError(
            f"{_WHERE}: arrangement={arrangement!r} has {rows * cols} cells for topk={topk} "
            "channels; make rows * columns at least topk."
        )
    return _topk_grid(featmap, image, topk, rows, cols, alpha)


def _topk_grid(featmap: Any, image: Any, topk: int, rows: int, cols: int, alpha: float) -> Any:
    """The ``topk`` channels with the largest sums, one heat map per cell, captioned."""
    import torch

    from .canvas import new_figure, render, require_matplotlib

    require_matplotlib(_WHERE + "(channel_reduction=None, topk > 0)")
    channels, height, width = featmap.shape
    topk = min(channels, topk)
    _, order = torch.topk(featmap.sum(dim=(1, 2)), topk)
    canvas, figure, axes = new_figure({"frameon": False})
    figure.delaxes(axes)  # one axes per cell instead
    figure.subplots_adjust(left=0, right=1, bottom=0, top=1, wspace=0, hspace=0)
    dpi = figure.get_dpi()
    figure.set_size_inches((width * cols + 1e-2) / dpi, (height * rows + 1e-2) / dpi)
    for cell, channel in enumerate(order.tolist()):
        cell_axes = figure.add_subplot(rows, cols, cell + 1)
        cell_axes.axis("off")
        cell_axes.text(2, 15, f"channel: {channel}", fontsize=10)
        cell_axes.imshow(heatmap(featmap[channel], image, alpha))
    return render(canvas)
