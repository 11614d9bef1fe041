"""The Visualizer's drawing methods put the same pixels where MMEngine 0.10.7's do.

The numbers pinned here were read from MMEngine's Visualizer on the same
inputs (same matplotlib): boxes, lines, circles, polygons, texts and masks
matched pixel for pixel; draw_featmap within one colour level (OpenCV's
arithmetic, redone with numpy and torch).
"""

from __future__ import annotations

import struct
import subprocess
import sys
import warnings
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from runner_core.visualization import (
    DisplayNotAvailableError,
    DrawingNotAvailableError,
    DrawingTypeError,
    DrawingValueError,
    Visualizer,
)

BLACK = np.zeros((60, 80, 3), np.uint8)
GREY = np.full((60, 80, 3), 100, np.uint8)


def vis(image: Any = BLACK) -> Visualizer:
    return Visualizer("t_drawing", image=image.copy())


def test_importing_the_package_does_not_import_matplotlib() -> None:
    code = (
        "import sys, runner_core.visualization as v; v.Visualizer('x').add_scalars({'a': 1});"
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_red_box_is_drawn_on_its_edges_and_nothing_else_changes() -> None:
    image = vis().draw_bboxes(np.array([10, 20, 50, 40]), edge_colors="r").get_image()
    assert image.shape == (60, 80, 3) and image.dtype == np.uint8
    rows, cols = np.nonzero(image[..., 0])
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (19, 41, 9, 51)  # MMEngine's
    # 2-point line, alpha 0.8: the edge row is red at 0.8, anti-aliased either side
    assert image[20, 30].tolist() == [203, 0, 0] and image[19, 30].tolist() == [181, 0, 0]
    assert image[30, 10].tolist() == [203, 0, 0]  # the left edge
    assert image[30, 30].tolist() == [0, 0, 0] and image[22, 30].tolist() == [0, 0, 0]
    assert not image[..., 1:].any()  # red only


def test_box_colours_as_tuples_and_lists_widths_and_alpha() -> None:
    image = (
        vis()
        .draw_bboxes(np.array([10, 20, 50, 40]), edge_colors=(0, 0, 255), line_widths=1, alpha=1.0)
        .get_image()
    )
    assert image[19:22, 30].tolist() == [[0, 0, 49], [0, 0, 255], [0, 0, 49]]
    assert image[30, 9:12].tolist() == [[0, 0, 49], [0, 0, 255], [0, 0, 49]]
    boxes = torch.tensor([[5.0, 5, 30, 30], [40, 10, 70, 50]])
    image = vis().draw_bboxes(boxes, edge_colors=["r", (0, 255, 0)], face_colors="b").get_image()
    assert image[5, 20, 0] > 150 and image[10, 55, 1] > 150  # each box its own edge colour
    assert image[20, 20].tolist() == [0, 0, 203] == image[30, 55].tolist()  # faces, alpha 0.8


def test_a_bad_box_style_names_draw_bboxes_not_draw_polygons() -> None:
    box = np.array([[1, 1, 5, 5]])
    for bad, match in (
        (dict(edge_colors="notacolor"), "draw_bboxes: `edge_colors` colour 'notacolor'"),
        (dict(face_colors="notacolor"), "draw_bboxes: `face_colors` colour 'notacolor'"),
    ):
        with pytest.raises(DrawingValueError, match=match):
            vis().draw_bboxes(box, **bad)
    with pytest.raises(DrawingTypeError, match="draw_bboxes: `line_widths` should be"):
        vis().draw_bboxes(box, line_widths="x")  # type: ignore[arg-type]
    with pytest.raises(DrawingValueError, match="draw_polygons: `edge_colors`"):
        vis().draw_polygons(np.array([[1, 1], [5, 1], [5, 5]]), edge_colors="notacolor")
    # the boxes are still drawn through draw_polygons, as MMEngine's: an override applies
    drawn = vis()
    calls: list[int] = []
    drawn.draw_polygons = lambda polygons, **kw: calls.append(len(polygons))  # type: ignore
    drawn.draw_bboxes(np.array([[1, 1, 5, 5], [2, 2, 6, 6]]))
    assert calls == [2]


def test_binary_masks_blend_their_colour_with_alpha() -> None:
    mask = np.zeros((60, 80), bool)
    mask[10:30, 20:60] = True
    image = vis(GREY).draw_binary_masks(mask, colors="g", alphas=0.5).get_image()
    # 'g' is (0, 127, 0) as MMEngine truncates it: round(100 * 0.5 + c * 0.5)
    assert image[20, 40].tolist() == [50, 114, 50] and image[5, 5].tolist() == [100, 100, 100]
    assert (image[~mask] == 100).all()
    two = np.stack([mask, mask])
    image = vis(GREY).draw_binary_masks(two, colors=["r", (0, 0, 255)], alphas=[0.5, 0.25])
    assert image.get_image()[20, 40].tolist() == [134, 38, 101]  # one blend after the other


def test_text_is_anchored_at_its_position() -> None:
    image = vis().draw_texts("Hi", np.array([30, 20]), colors="w", font_sizes=20).get_image()
    rows, cols = np.nonzero(image.max(-1) > 50)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (
        20,
        40,
        32,
        55,
    )  # top left at (30, 20)
    image = (
        vis()
        .draw_texts(
            ["Hi"],
            torch.tensor([[30.0, 20.0]]),
            colors=["w"],
            font_sizes=[20],
            vertical_alignments="bottom",
            horizontal_alignments="right",
        )
        .get_image()
    )
    rows, cols = np.nonzero(image.max(-1) > 50)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (0, 13, 3, 26)  # bottom right


def test_text_boxes_and_the_default_font_size() -> None:
    v = Visualizer("t_font", image=np.zeros((900, 900, 3), np.uint8))
    assert v._default_font_size == 10  # max(sqrt(H * W) // 90, 10), as MMEngine
    v.set_image(np.zeros((1800, 1800, 3), np.uint8))
    assert v._default_font_size == 20
    box = dict(facecolor="black", alpha=0.8, pad=0.7, edgecolor="none")
    image = vis(GREY).draw_texts("x", np.array([10, 10]), bboxes=[box]).get_image()
    assert (image[5:30, 5:30] < 100).any()  # the dark box behind the text


def test_points_lines_circles_and_polygons_land_where_given() -> None:
    image = (
        vis()
        .draw_points(np.array([[20, 30], [60, 10]]), colors="b", sizes=np.array([100, 100]))
        .get_image()
    )
    assert image[30, 20].tolist() == [0, 0, 255] == image[10, 60].tolist()
    assert image[45, 40].tolist() == [0, 0, 0]
    # sizes as MMEngine passes them to matplotlib: lists, tuples and numpy numbers too
    for sizes in ([100], (100,), np.int64(100), np.float32(100)):
        image = vis().draw_points(np.array([[20, 30]]), colors="b", sizes=sizes).get_image()
        assert image[30, 20].tolist() == [0, 0, 255], sizes
    image = vis().draw_lines(np.array([5, 75]), np.array([30, 30]), colors="r").get_image()
    rows, cols = np.nonzero(image[..., 0] > 100)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (29, 31, 5, 75)
    image = (
        vis()
        .draw_circles(
            np.array([40, 30]), np.array([10]), edge_colors="r", face_colors="b", alpha=1.0
        )
        .get_image()
    )
    assert image[30, 40].tolist() == [0, 0, 255] and image[30, 50].tolist() == [255, 0, 0]
    assert image[30, 55].tolist() == [0, 0, 0]
    triangle = np.array([[10, 10], [70, 10], [40, 50]])
    image = (
        vis().draw_polygons(triangle, edge_colors="w", face_colors=(255, 0, 0), alpha=0.5)
    ).get_image()
    assert image[20, 40].tolist() == [127, 0, 0] and image[55, 5].tolist() == [0, 0, 0]


def test_three_points_with_one_rgb_tuple_are_that_colour() -> None:
    """MMEngine passes the tuple as matplotlib's ``c``: with exactly three points it is
    read as three values to colour-map, and the points come out viridis-coloured."""
    positions = np.array([[10, 10], [30, 30], [50, 40]])
    image = vis().draw_points(positions, colors=(255, 0, 0)).get_image()
    assert image[30, 30].tolist() == [255, 0, 0]


def test_drawing_chains_and_set_image_starts_afresh() -> None:
    v = vis()
    assert v.draw_bboxes(np.array([5, 5, 20, 20])).draw_points(np.array([40, 40])) is v
    assert v.get_image().any()
    v.set_image(GREY)
    assert (v.get_image() == 100).all()  # nothing drawn on the new image
    assert np.array_equal(Visualizer("t_plain", image=GREY).get_image(), GREY)


def test_mmengine_figure_attributes_draw_on_the_image() -> None:
    v = vis()
    assert v.fig_save.get_dpi() == v.dpi and v.fig_save_cfg == {"frameon": False}
    v.ax_save.plot([0, 79], [30, 30], color="w")  # task visualizers draw on ax_save too
    assert v.get_image()[30, 40].tolist() == [255, 255, 255]
    assert v.fig_save_canvas.get_width_height() == (80, 60)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda v: v.draw_bboxes([[0, 0, 1, 1]]), DrawingTypeError, "`bboxes`"),
        (lambda v: v.draw_bboxes(np.zeros((1, 3))), DrawingValueError, r"\(N, 4\)"),
        (lambda v: v.draw_bboxes(np.array([5, 0, 1, 4])), DrawingValueError, "x1 <= x2"),
        (
            lambda v: v.draw_bboxes(np.array([0, 0, 5, 5]), edge_colors=(300, 0, 0)),
            DrawingValueError,
            "`edge_colors`",
        ),
        (
            lambda v: v.draw_bboxes(np.array([0, 0, 5, 5]), edge_colors=np.array([1, 2, 3])),
            DrawingTypeError,
            "`edge_colors`",
        ),
        (
            lambda v: v.draw_bboxes(np.array([0, 0, 5, 5]), edge_colors="notacolour"),
            DrawingValueError,
            "'notacolour' is not a matplotlib colour",
        ),
        (lambda v: v.draw_texts(5, np.array([0, 0])), DrawingTypeError, "`texts`"),
        (lambda v: v.draw_texts(["a", "b"], np.array([0, 0])), DrawingValueError, "`positions`"),
        (
            lambda v: v.draw_texts(["a", "b"], np.array([[0, 0], [1, 1]]), colors=["r"]),
            DrawingValueError,
            "`colors` has 1 values for 2 items",
        ),
        (
            lambda v: v.draw_texts("a", np.array([0, 0]), font_sizes="big"),
            DrawingTypeError,
            "`font_sizes`",
        ),
        (lambda v: v.draw_points(np.zeros((2, 3))), DrawingValueError, "`positions`"),
        (
            lambda v: v.draw_lines(np.zeros((2, 2)), np.zeros((1, 2))),
            DrawingValueError,
            "same shape",
        ),
        (
            lambda v: v.draw_circles(np.zeros((2, 2)), np.array([1])),
            DrawingValueError,
            "`center`",
        ),
        (lambda v: v.draw_polygons({"a": 1}), DrawingTypeError, "`polygons`"),
        (lambda v: v.draw_polygons(np.zeros((4, 3))), DrawingValueError, r"polygons\[0\]"),
        (
            lambda v: v.draw_binary_masks(np.zeros((60, 80), np.uint8)),
            DrawingValueError,
            "should be bool",
        ),
        (
            lambda v: v.draw_binary_masks(np.zeros((1, 5, 5), bool)),
            DrawingValueError,
            r"\(N, 60, 80\)",
        ),
        (
            lambda v: v.draw_binary_masks(np.zeros((60, 80), bool), colors=[255, 0, 0]),
            DrawingTypeError,
            r"as a tuple: \(255, 0, 0\)",
        ),
        (lambda v: v.set_image(None), DrawingValueError, "set_image"),
        (lambda v: v.show(backend="tk"), DrawingValueError, "'matplotlib' or 'cv2'"),
    ],
)
def test_argument_errors_are_mmengines_types_and_name_the_argument(
    call: Any, error: type, match: str
) -> None:
    """MMEngine raises TypeError from check_type and AssertionError from its asserts."""
    with pytest.raises(error, match=match) as caught:
        call(vis())
    if error is DrawingValueError:
        assert isinstance(caught.value, (ValueError, AssertionError))
        assert isinstance(caught.value, AssertionError)
    else:
        assert isinstance(caught.value, TypeError)


def test_drawing_before_set_image_says_so() -> None:
    with pytest.raises(DrawingValueError, match=r"set_image\(image\) first"):
        Visualizer("t_empty").draw_bboxes(np.array([0, 0, 1, 1]))


def test_out_of_image_coordinates_warn() -> None:
    with pytest.warns(UserWarning, match="outside the image"):
        vis().draw_bboxes(np.array([0, 0, 100, 10]))


# -- draw_featmap ----------------------------------------------------------------------
def test_featmap_shapes_for_each_mode() -> None:
    featmap = torch.rand(5, 20, 30)
    draw = Visualizer.draw_featmap  # a static method, as in MMEngine
    for reduction in ("squeeze_mean", "select_max"):
        out = draw(featmap, channel_reduction=reduction)
        assert out.shape == (20, 30, 3) and out.dtype == np.uint8
    assert draw(featmap[:1], channel_reduction=None, topk=0).shape == (20, 30, 3)
    assert draw(featmap[:3], channel_reduction=None, topk=-1).shape == (20, 30, 3)
    assert draw(featmap, channel_reduction=None, topk=3, arrangement=(2, 2)).shape == (40, 60, 3)
    assert draw(featmap, channel_reduction=None).shape == (80, 150, 3)  # topk 20 in 4 x 5
    assert draw(featmap[:2], channel_reduction=None, topk=3, arrangement=(2, 2)).shape == (
        40,
        60,
        3,
    )
    image = np.zeros((40, 50, 3), np.uint8)
    with pytest.warns(UserWarning, match="resized to the image"):  # MMEngine warns too
        assert draw(featmap, overlaid_image=image, resize_shape=(10, 16)).shape == (10, 16, 3)
        assert draw(featmap, overlaid_image=image[..., 0]).shape == (40, 50, 3)


def test_featmap_colours_are_opencvs_jet() -> None:
    """MMEngine: cv2.normalize to 0-255, cv2.applyColorMap(COLORMAP_JET), cv2.addWeighted."""
    featmap = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)
    flat = Visualizer.draw_featmap(featmap).reshape(-1, 3)
    assert flat[[0, 5, 11]].tolist() == [[0, 0, 128], [78, 255, 178], [128, 0, 0]]
    over = Visualizer.draw_featmap(
        featmap,
        overlaid_image=np.full((3, 4, 3), 200, np.uint8),
        channel_reduction="select_max",
        alpha=0.5,
    ).reshape(-1, 3)
    # OpenCV's float32 arithmetic puts the top value at level 254, not 255
    assert over[[0, 11]].tolist() == [[100, 100, 164], [166, 100, 100]]


def test_featmap_argument_errors() -> None:
    draw = Visualizer.draw_featmap
    with pytest.raises(AssertionError, match="torch.Tensor"):  # MMEngine asserts the type
        draw([1.0])
    with pytest.raises(DrawingValueError, match=r"\(C, H, W\)"):
        draw(torch.zeros(4, 4))
    with pytest.raises(DrawingValueError, match="'squeeze_mean', 'select_max' or None"):
        draw(torch.zeros(3, 4, 4), channel_reduction="max")
    with pytest.raises(DrawingValueError, match="1 or 3 channels, got 5"):
        draw(torch.zeros(5, 4, 4), channel_reduction=None, topk=0)
    with pytest.raises(DrawingValueError, match="4 cells for topk=5"):
        draw(torch.zeros(5, 4, 4), channel_reduction=None, topk=5, arrangement=(2, 2))


# -- without matplotlib, and show() ------------------------------------------------------
def test_without_matplotlib_drawing_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    v = vis(GREY)
    with pytest.raises(
        DrawingNotAvailableError, match=r'draw_bboxes.*pip install "runner-core\[draw\]"'
    ):
        v.draw_bboxes(np.array([1, 1, 5, 5]))
    with pytest.raises(ImportError):
        v.draw_texts("x", np.array([1, 1]))
    with pytest.raises(NotImplementedError):
        v.draw_binary_masks(np.zeros((60, 80), bool))
    assert (v.get_image() == 100).all()  # holding images needs no matplotlib
    assert Visualizer.draw_featmap(torch.rand(2, 4, 4)).shape == (4, 4, 3)  # nor do heat maps
    with pytest.raises(DrawingNotAvailableError, match="topk"):
        Visualizer.draw_featmap(torch.rand(2, 4, 4), channel_reduction=None, topk=1)


def test_show_without_a_display_raises_instead_of_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """MMEngine on the Agg backend waits for a key press for ever (wait_time=0)."""
    import matplotlib

    monkeypatch.setattr(matplotlib, "get_backend", lambda: "agg")
    with pytest.raises(DisplayNotAvailableError, match="show=False"):
        vis().show(wait_time=0)


def test_show_in_a_notebook_returns_the_figure(monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib
    import matplotlib.pyplot as plt

    monkeypatch.setattr(
        matplotlib, "get_backend", lambda: "module://matplotlib_inline.backend_inline"
    )
    figure = vis().draw_bboxes(np.array([5, 5, 20, 20])).show(win_name="sample")
    try:
        assert figure is not None and len(figure.axes[0].images) == 1
    finally:
        plt.close(figure)


def test_show_in_a_window_reuses_it_and_returns_after_wait_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The window path, on Agg dressed as a GUI backend: no key comes, so wait_time ends it."""
    import matplotlib
    import matplotlib.pyplot as plt

    monkeypatch.setattr(matplotlib, "get_backend", lambda: "tkagg")
    v = vis()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Agg: "FigureCanvasAgg is non-interactive"
        try:
            assert v.show(win_name="a", wait_time=0.01) is None
            first = v._show_figure
            v.show(GREY, win_name="b", wait_time=0.01)
            assert v._show_figure is first  # one window, retitled
            assert first.axes[0].images[0].get_array().shape == (60, 80, 3)
        finally:
            plt.close("all")


# -- a task visualizer, end to end ----------------------------------------------------
class BoxMaskVisualizer(Visualizer):
    """In the style of mmdet's DetLocalVisualizer: boxes, labels and masks, then add_image."""

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
        self.set_image(image)
        boxes = data_sample["bboxes"]
        self.draw_bboxes(boxes, edge_colors=[(255, 0, 0)] * len(boxes), alpha=0.8, line_widths=3)
        positions = boxes[:, :2] + 3
        for pos, label in zip(positions, data_sample["labels"]):
            self.draw_texts(
                f"class {label}",
                pos,
                colors=(200, 200, 200),
                font_sizes=13,
                bboxes=[dict(facecolor="black", alpha=0.8, pad=0.7, edgecolor="none")],
            )
        self.draw_binary_masks(data_sample["masks"], colors=[(0, 0, 255)], alphas=0.8)
        self.add_image(name, self.get_image(), step)


def read_png(path: Path) -> np.ndarray:
    """Decode the PNG files LocalVisBackend writes (8-bit RGB, filter 0)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, size = 8, b"", (0, 0)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height = size
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, 1 + width * 3)
    assert not rows[:, 0].any()
    return rows[:, 1:].reshape(height, width, 3)


def test_a_task_visualizer_draws_and_saves_through_local_vis_backend(tmp_path: Path) -> None:
    visualizer = BoxMaskVisualizer(
        "t_det_style", vis_backends=[dict(type="LocalVisBackend")], save_dir=tmp_path
    )
    grey = np.full((100, 120, 3), 100, np.uint8)
    mask = np.zeros((1, 100, 120), bool)
    mask[0, 85:95, 5:25] = True
    sample = {
        "bboxes": torch.tensor([[30.0, 10.0, 110.0, 80.0]]),
        "labels": [3],
        "masks": mask,
    }
    visualizer.add_datasample("sample.jpg", grey, sample, step=7)
    files = list((tmp_path / "vis_data" / "vis_image").iterdir())
    assert [f.name for f in files] == ["sample.jpg_7.png"]
    image = read_png(files[0])
    assert image.shape == (100, 120, 3)
    red = (image[..., 0] > 180) & (image[..., 1] < 60) & (image[..., 2] < 60)
    rows, cols = np.nonzero(red)
    assert abs(rows.min() - 10) <= 2 and abs(rows.max() - 80) <= 2
    assert abs(cols.min() - 30) <= 2 and abs(cols.max() - 110) <= 2
    assert red[60, 110] and red[80, 70] and red[60, 30] and not red[60, 70]  # edges only
    assert image[60, 70].tolist() == [100, 100, 100]
    assert image[90, 15].tolist() == [20, 20, 224]  # mask: round(100 * 0.2 + (0, 0, 255) * 0.8)
    label = image[13:30, 33:80]
    assert (label < 30).all(axis=-1).any() and (label > 180).all(axis=-1).any()  # dark box, text


def test_colours_made_of_numpy_numbers_are_taken_as_mmdets_palettes_give_them() -> None:
    # mmdet's get_palette('random') and jitter_color build tuples of numpy integers
    red = (np.int64(255), np.uint8(0), np.float32(0))
    drawn = vis().draw_bboxes(np.array([10, 20, 50, 40]), edge_colors=[red]).get_image()
    plain = vis().draw_bboxes(np.array([10, 20, 50, 40]), edge_colors=[(255, 0, 0)]).get_image()
    assert np.array_equal(drawn, plain)
    masks = np.zeros((1, 60, 80), bool)
    masks[0, 5:10, 5:10] = True
    assert vis().draw_binary_masks(masks, colors=[red]).get_image()[7, 7, 0] > 0
    with pytest.raises(DrawingValueError, match="RGB tuple"):
        vis().draw_bboxes(np.array([10, 20, 50, 40]), edge_colors=[(np.int64(256), 0, 0)])
