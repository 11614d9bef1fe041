"""``runner_core.visualization.utils``: MMEngine's helpers for task visualizers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from runner_core.visualization import Visualizer
from runner_core.visualization.utils import (
    check_length,
    check_type,
    check_type_and_length,
    color_str2rgb,
    color_val_matplotlib,
    convert_overlay_heatmap,
    img_from_canvas,
    tensor2ndarray,
    value2list,
)


def test_argument_checks_raise_mmengines_errors() -> None:
    check_type("x", "s", str)
    with pytest.raises(TypeError, match="`x` should be"):
        check_type("x", 1, str)
    check_length("x", [1, 2], 2)
    check_length("x", (1,), 2)  # only lists are checked, as MMEngine's
    with pytest.raises(AssertionError, match="greater than 3, but got 1"):
        check_type_and_length("x", [1], list, 3)
    assert value2list(3, int, 2) == [3, 3] and value2list([1], int, 2) == [1]


def test_colours_convert_as_mmengines() -> None:
    assert color_str2rgb("red") == (255, 0, 0) and color_str2rgb("#102030") == (16, 32, 48)
    assert color_val_matplotlib((255, 0, 51)) == (1.0, 0.0, 0.2)
    assert color_val_matplotlib([(0, 0, 0), "b"]) == [(0.0, 0.0, 0.0), "b"]
    with pytest.raises(AssertionError):
        color_val_matplotlib((300, 0, 0))
    with pytest.raises(TypeError, match="Invalid type for color"):
        color_val_matplotlib(3)


def test_the_overlay_heatmap_is_draw_featmaps() -> None:
    feat = torch.rand(1, 6, 8, generator=torch.Generator().manual_seed(0))
    image = np.full((6, 8, 3), 100, np.uint8)
    heat = convert_overlay_heatmap(feat, image, alpha=0.3)
    expected = Visualizer.draw_featmap(feat, image, channel_reduction="squeeze_mean", alpha=0.3)
    assert heat.shape == (6, 8, 3) and np.array_equal(heat, expected)
    assert isinstance(tensor2ndarray(feat), np.ndarray) and tensor2ndarray([1]) == [1]
    with pytest.raises(AssertionError, match="feat_map must be"):
        convert_overlay_heatmap(torch.rand(2, 6, 8))


def test_img_from_canvas_reads_an_agg_canvas() -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(2, 1), dpi=10, facecolor=(1.0, 0.0, 0.0))
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    image = img_from_canvas(canvas)
    assert image.shape == (10, 20, 3) and image.dtype == np.uint8
    assert (image == [255, 0, 0]).all()
