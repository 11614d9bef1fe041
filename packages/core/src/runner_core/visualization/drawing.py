"""MMEngine's drawing API on the ``Visualizer``: boxes, texts, masks and feature maps.

A task's visualizer (mmdet's ``DetLocalVisualizer``, mmseg's, mmpretrain's)
calls ``set_image``, some ``draw_*`` methods, ``get_image`` and then
``add_image``; they work as in MMEngine 0.10.7: same arguments, defaults,
colour rules (matplotlib names, RGB tuples of 0-255, one value or a list
with one per item) and the same pixels, drawn with matplotlib on an Agg
canvas the size of the image (see ``canvas``).

matplotlib is optional (``pip install "runner-core[draw]"``) and imported
when drawing starts: ``set_image``/``get_image`` and the feature-map heat
maps work without it; the ``draw_*`` methods then raise
:class:`DrawingNotAvailableError`, which names the install command.
"""

from __future__ import annotations

import warnings
from typing import Any

from . import drawing_args as args
from .drawing_errors import (
    DisplayNotAvailableError,
    DrawingNotAvailableError,
    DrawingTypeError,
    DrawingValueError,
)

__all__ = [
    "DisplayNotAvailableError",
    "DrawingMixin",
    "DrawingNotAvailableError",
    "DrawingTypeError",
    "DrawingValueError",
]


def _warn_outside(what: str, inside: bool) -> None:
    if not inside:
        warnings.warn(
            f"Visualizer.draw_{what}: some coordinates are outside the image; what lies outside "
            "is cut off.",
            UserWarning,
            stacklevel=3,
        )


def _figure_part(index: int, name: str, doc: str) -> Any:
    """MMEngine's ``fig_save_canvas``/``fig_save``/``ax_save`` attribute: part ``index`` of
    the figure, built on first read; assigning replaces that part."""

    def read(self: DrawingMixin) -> Any:
        return self._parts(f"Visualizer.{name}")[index]

    def write(self: DrawingMixin, value: Any) -> None:
        parts = list(self._figure_parts or (None, None, None))
        parts[index] = value
        self._figure_parts = (parts[0], parts[1], parts[2])

    return property(read, write, doc=f"{doc} (MMEngine's attribute)")


class DrawingMixin:
    """The image being drawn on, MMEngine's ``draw_*`` methods, ``get_image`` and ``show``.

    Each ``draw_*`` method returns the visualizer, so calls chain:
    ``vis.draw_bboxes(...).draw_texts(...)``.
    """

    _image: Any = None
    width: int = 0
    height: int = 0
    #: MMEngine's default text size for this image, ``max(sqrt(H * W) // 90, 10)`` points
    #: (task visualizers read it)
    _default_font_size: float = 10
    fig_save_cfg: dict[str, Any]
    fig_show_cfg: dict[str, Any]
    _figure_parts: tuple[Any, Any, Any] | None = None  # (canvas, figure, axes), built lazily
    #: the canvas shows the image set_image was given last and may hold drawings:
    #: get_image renders it
    _drawn = False
    _show_figure: Any = None  # show()'s pyplot window, reused

    # -- the image ---------------------------------------------------------------------
    def set_image(self, image: Any) -> None:
        """Start drawing on ``image`` (H, W, 3 RGB; grey and RGBA are made RGB).

        ``uint8`` as given; floats in [0, 1] are scaled to 0-255 (MMEngine
        truncates them with ``astype('uint8')``). What was drawn before is gone.
        """
        import numpy as np

        from .png import as_rgb_array

        if image is None:  # MMEngine asserts it
            raise DrawingValueError(
                "Visualizer.set_image(None): give an image array (H, W, 3) RGB."
            )
        self._image = np.ascontiguousarray(as_rgb_array(image, "Visualizer.set_image"))
        self.height, self.width = self._image.shape[:2]
        self._default_font_size = max(np.sqrt(self.height * self.width) // 90, 10)
        self._drawn = False

    def get_image(self) -> Any:
        """The image with what was drawn on it: (H, W, 3) RGB ``uint8`` (a new array)."""
        if self._image is None:
            raise DrawingValueError(
                "Visualizer.get_image(): no image yet; call visualizer.set_image(image) first."
            )
        if not self._drawn:
            return self._image.copy()
        from .canvas import render

        return render(self._parts("Visualizer.get_image()")[0])

    # -- the matplotlib figure (MMEngine's attributes) ---------------------------------------
    def _initialize_fig(self, fig_cfg: dict[str, Any]) -> tuple[Any, Any, Any]:
        """``(canvas, figure, axes)`` for ``fig_cfg`` (MMEngine's method, used by subclasses)."""
        from .canvas import new_figure, require_matplotlib

        require_matplotlib("Visualizer")
        return new_figure(fig_cfg)

    def _parts(self, what: str) -> tuple[Any, Any, Any]:
        """The figure showing the current image, built on first use; later draws go on it."""
        from .canvas import fit_to_image, require_matplotlib

        require_matplotlib(what)
        if self._figure_parts is None:
            cfg = getattr(self, "fig_save_cfg", None)
            self._figure_parts = self._initialize_fig(dict(frameon=False) if cfg is None else cfg)
        if self._image is not None and not self._drawn:
            fit_to_image(self._figure_parts[1], self._figure_parts[2], self._image)
            self._drawn = True
        return self._figure_parts

    def _need_image(self, what: str) -> None:
        if self._image is None:
            raise DrawingValueError(
                f"Visualizer.{what}: no image to draw on; call visualizer.set_image(image) first."
            )

    def _axes(self, what: str) -> Any:
        self._need_image(what)
        return self._parts(f"Visualizer.{what}")[2]

    fig_save_canvas = _figure_part(0, "fig_save_canvas", "The Agg canvas drawn on.")
    fig_save = _figure_part(1, "fig_save", "The matplotlib ``Figure`` drawn on.")
    ax_save = _figure_part(2, "ax_save", "The axes drawn on, one data unit per pixel.")

    @property
    def dpi(self) -> float:
        """The figure's dots per inch (MMEngine's attribute)."""
        return float(self._parts("Visualizer.dpi")[1].get_dpi())

    def _inside(self, points: Any) -> bool:
        """Whether every (x, y) in ``points`` (..., 2) lies on the image (no image: an error
        follows, not a warning)."""
        if self._image is None:
            return True
        x, y = points[..., 0], points[..., 1]
        return bool(
            (x >= 0).all() and (x < self.width).all() and (y >= 0).all() and (y < self.height).all()
        )

    # -- drawing -----------------------------------------------------------------------
    def draw_points(
        self,
        positions: Any,
        colors: Any = "g",
        marker: str | None = None,
        sizes: Any = None,
    ) -> Any:
        """Draw points at ``positions`` (N, 2) or (2,) of (x, y).

        Args:
            positions: numpy array or tensor.
            colors: one colour or a list (one per point): a matplotlib name
                or an RGB tuple of 0-255.
            marker: a matplotlib marker style (``'o'`` when None).
            sizes: marker areas in points², one or one per point.
        """
        where = "Visualizer.draw_points"
        positions = args.as_array(where, "positions", positions)
        if positions.ndim == 1:
            positions = positions[None]
        if positions.shape[-1] != 2:
            raise DrawingValueError(
                f"{where}: `positions` should be (N, 2) of (x, y), got shape {positions.shape}."
            )
        axes = self._axes("draw_points()")
        color = args.mpl_colors(where, "colors", colors)
        if isinstance(color, tuple):  # one RGB colour, not three values to colour-map
            color = [color]
        if sizes is not None and not isinstance(sizes, (int, float)):
            import numpy as np

            # MMEngine hands `sizes` to matplotlib as they are: lists, tuples, numpy numbers
            if not isinstance(sizes, (list, tuple, np.generic)):
                sizes = args.as_array(where, "sizes", sizes)
            sizes = np.asarray(sizes, dtype=float)
        axes.scatter(positions[:, 0], positions[:, 1], c=color, s=sizes, marker=marker)
        return self

    def draw_texts(
        self,
        texts: str | list[str],
        positions: Any,
        font_sizes: Any = None,
        colors: Any = "g",
        vertical_alignments: str | list[str] = "top",
        horizontal_alignments: str | list[str] = "left",
        font_families: str | list[str] = "sans-serif",
        bboxes: dict | list[dict] | None = None,
        font_properties: Any = None,
    ) -> Any:
        """Draw ``texts`` with their anchor at ``positions`` (N, 2) of (x, y).

        Each styling argument is one value for all texts or a list with one
        per text. ``font_sizes`` defaults to ``max(sqrt(H * W) // 90, 10)``
        points; the anchor is the text's top left corner by default;
        ``bboxes`` are matplotlib ``FancyBboxPatch`` options
        (``dict(facecolor='black', alpha=0.8, pad=0.7, edgecolor='none')``);
        ``font_properties`` are ``matplotlib.font_manager.FontProperties``
        (a font file that has the glyphs, for Chinese text).
        """
        where = "Visualizer.draw_texts"
        args.check_type(where, "texts", texts, (str, list))
        texts = [texts] if isinstance(texts, str) else texts
        count = len(texts)
        positions = args.as_array(where, "positions", positions)
        if positions.ndim == 1:
            positions = positions[None]
        if positions.shape != (count, 2):
            raise DrawingValueError(
                f"{where}: `positions` should have shape ({count}, 2), one (x, y) per text, got "
                f"{positions.shape}."
            )
        _warn_outside("texts", self._inside(positions))
        if font_sizes is None:
            font_sizes = self._default_font_size
        sizes = args.per_item(where, "font_sizes", font_sizes, (int, float), count)
        color_items = args.per_item(where, "colors", colors, (str, tuple), count)
        valigns = args.per_item(where, "vertical_alignments", vertical_alignments, (str,), count)
        haligns = args.per_item(
            where, "horizontal_alignments", horizontal_alignments, (str,), count
        )
        families = args.per_item(where, "font_families", font_families, (str,), count)
        boxes = (
            [None] * count
            if bboxes is None
            else args.per_item(where, "bboxes", bboxes, (dict,), count)
        )
        axes = self._axes("draw_texts()")
        from matplotlib.font_manager import FontProperties

        props = (
            [None] * count
            if font_properties is None
            else args.per_item(where, "font_properties", font_properties, (FontProperties,), count)
        )
        color_values = [args.mpl_color(where, "colors", c) for c in color_items]
        for i, (x, y) in enumerate(positions.tolist()):
            axes.text(
                x,
                y,
                texts[i],
                size=sizes[i],
                bbox=boxes[i],
                verticalalignment=valigns[i],
                horizontalalignment=haligns[i],
                family=families[i],
                fontproperties=props[i],
                color=color_values[i],
            )
        return self

    def draw_lines(
        self,
        x_datas: Any,
        y_datas: Any,
        colors: Any = "g",
        line_styles: str | list[str] = "-",
        line_widths: float | list[float] = 2,
    ) -> Any:
        """Draw segments: ``x_datas[i]`` = (x_start, x_end), ``y_datas[i]`` = (y_start, y_end).

        Both (N, 2), or (2,) for one segment. ``line_widths`` in points.
        """
        where = "Visualizer.draw_lines"
        import numpy as np

        xs = args.as_array(where, "x_datas", x_datas)
        ys = args.as_array(where, "y_datas", y_datas)
        if xs.shape != ys.shape:
            raise DrawingValueError(
                f"{where}: `x_datas` {xs.shape} and `y_datas` {ys.shape} should have the same "
                "shape."
            )
        if xs.shape[-1] != 2:
            raise DrawingValueError(
                f"{where}: `x_datas` should be (N, 2), a start and an end per line, got {xs.shape}."
            )
        lines = np.concatenate((xs.reshape(-1, 2, 1), ys.reshape(-1, 2, 1)), axis=-1)
        _warn_outside("lines", self._inside(lines))
        axes = self._axes("draw_lines()")
        from matplotlib.collections import LineCollection

        axes.add_collection(
            LineCollection(
                lines.tolist(),
                colors=args.mpl_colors(where, "colors", colors),
                linestyles=line_styles,
                linewidths=line_widths,
            )
        )
        return self

    def draw_circles(
        self,
        center: Any,
        radius: Any,
        edge_colors: Any = "g",
        line_styles: str | list[str] = "-",
        line_widths: float | list[float] = 2,
        face_colors: Any = "none",
        alpha: float = 0.8,
    ) -> Any:
        """Draw circles: ``center`` (N, 2) of (x, y) and ``radius`` (N,) in pixels.

        Outline widths are clamped to [1, font size / 4] as in MMEngine.
        """
        where = "Visualizer.draw_circles"
        import numpy as np

        centers = args.as_array(where, "center", center)
        radii = args.as_array(where, "radius", radius).reshape(-1)
        if centers.ndim == 1:
            centers = centers[None]
        if centers.shape != (radii.shape[0], 2):
            raise DrawingValueError(
                f"{where}: `center` should be ({radii.shape[0]}, 2), one (x, y) per radius, got "
                f"{centers.shape}."
            )
        reach = np.tile(radii.reshape(-1, 1), (1, 2))
        _warn_outside("circles", self._inside(centers - reach) and self._inside(centers + reach))
        axes = self._axes("draw_circles()")
        from matplotlib.collections import PatchCollection
        from matplotlib.patches import Circle

        circles = [Circle((float(x), float(y)), float(r)) for (x, y), r in zip(centers, radii)]
        axes.add_collection(
            PatchCollection(
                circles,
                alpha=alpha,
                facecolors=args.mpl_colors(where, "face_colors", face_colors),
                edgecolors=args.mpl_colors(where, "edge_colors", edge_colors),
                linewidths=args.clamped_line_widths(
                    where, line_widths, len(circles), self._default_font_size / 4
                ),
                linestyles=line_styles,
            )
        )
        return self

    def draw_bboxes(
        self,
        bboxes: Any,
        edge_colors: Any = "g",
        line_styles: str | list[str] = "-",
        line_widths: float | list[float] = 2,
        face_colors: Any = "none",
        alpha: float = 0.8,
    ) -> Any:
        """Draw boxes ``bboxes`` (N, 4) or (4,) of (x1, y1, x2, y2) in pixels.

        Drawn as polygons (``draw_polygons``); outline widths are clamped to
        [1, font size / 4] points as in MMEngine.
        """
        where = "Visualizer.draw_bboxes"
        import numpy as np

        boxes = args.as_array(where, "bboxes", bboxes)
        if boxes.ndim == 1:
            boxes = boxes[None]
        if boxes.shape[-1] != 4:
            raise DrawingValueError(
                f"{where}: `bboxes` should be (N, 4) of (x1, y1, x2, y2), got shape {boxes.shape}."
            )
        if not ((boxes[:, 0] <= boxes[:, 2]).all() and (boxes[:, 1] <= boxes[:, 3]).all()):
            raise DrawingValueError(
                f"{where}: each box should be (x1, y1, x2, y2) with x1 <= x2 and y1 <= y2; for "
                "(x, y, w, h) boxes add x and y to w and h first."
            )
        _warn_outside("bboxes", self._inside(boxes.reshape(-1, 2, 2)))
        x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
        corners = np.stack((x1, y1, x2, y1, x2, y2, x1, y2), axis=-1).reshape(-1, 4, 2)
        # checked under this method's name (a bad colour or width names draw_bboxes), then
        # drawn through draw_polygons, as MMEngine's: a subclass's override of it applies
        self._axes("draw_bboxes()")  # names draw_bboxes when matplotlib is missing
        args.mpl_colors(where, "face_colors", face_colors)
        args.mpl_colors(where, "edge_colors", edge_colors)
        args.clamped_line_widths(where, line_widths, len(corners), self._default_font_size / 4)
        return self.draw_polygons(
            list(corners),
            edge_colors=edge_colors,
            line_styles=line_styles,
            line_widths=line_widths,
            face_colors=face_colors,
            alpha=alpha,
        )

    def draw_polygons(
        self,
        polygons: Any,
        edge_colors: Any = "g",
        line_styles: str | list[str] = "-",
        line_widths: float | list[float] = 2,
        face_colors: Any = "none",
        alpha: float = 0.8,
    ) -> Any:
        """Draw polygons: an (M, 2) array of (x, y) corners, or a list of them."""
        where = "Visualizer.draw_polygons"
        args.check_type(where, "polygons", polygons, (list, *_array_types()))
        items = polygons if isinstance(polygons, list) else [polygons]
        shapes = [args.as_array(where, f"polygons[{i}]", p) for i, p in enumerate(items)]
        for i, polygon in enumerate(shapes):
            if polygon.ndim != 2 or polygon.shape[1] != 2:
                raise DrawingValueError(
                    f"{where}: each polygon should be (M, 2) of (x, y) corners; polygons[{i}] "
                    f"has shape {polygon.shape}."
                )
            _warn_outside("polygons", self._inside(polygon))
        return self._add_polygons(
            where, shapes, edge_colors, line_styles, line_widths, face_colors, alpha
        )

    def _add_polygons(
        self,
        where: str,
        shapes: list[Any],
        edge_colors: Any,
        line_styles: str | list[str],
        line_widths: float | list[float],
        face_colors: Any,
        alpha: float,
    ) -> Any:
        """Draw checked (M, 2) polygons; errors in the style arguments name ``where``."""
        axes = self._axes(f"{where.rpartition('.')[2]}()")
        from matplotlib.collections import PolyCollection

        axes.add_collection(
            PolyCollection(
                shapes,
                alpha=alpha,
                facecolor=args.mpl_colors(where, "face_colors", face_colors),
                linestyles=line_styles,
                edgecolors=args.mpl_colors(where, "edge_colors", edge_colors),
                linewidths=args.clamped_line_widths(
                    where, line_widths, len(shapes), self._default_font_size / 4
                ),
            )
        )
        return self

    def draw_binary_masks(
        self,
        binary_masks: Any,
        colors: Any = "g",
        alphas: float | list[float] = 0.8,
    ) -> Any:
        """Blend ``colors`` into the image where ``binary_masks`` (N, H, W) or (H, W) are True.

        Each masked pixel becomes ``round(pixel * (1 - alpha) + colour *
        alpha)``; masks are ``bool`` and the size of the image. A colour name
        is converted to 0-255 by truncation, as MMEngine (``'g'`` is (0, 127, 0)).
        """
        where = "Visualizer.draw_binary_masks"
        import numpy as np

        from .canvas import paste
        from .featmap import blend

        masks = args.as_array(where, "binary_masks", binary_masks)
        if masks.dtype != np.bool_:
            raise DrawingValueError(
                f"{where}: `binary_masks` should be bool, got {masks.dtype}; pass mask > 0 or "
                "mask.astype(bool)."
            )
        if masks.ndim == 2:
            masks = masks[None]
        self._need_image("draw_binary_masks()")
        image = self.get_image()
        if masks.ndim != 3 or masks.shape[1:] != image.shape[:2]:
            raise DrawingValueError(
                f"{where}: `binary_masks` should be (N, {image.shape[0]}, {image.shape[1]}), the "
                f"size of the image, got {masks.shape}."
            )
        count = masks.shape[0]
        color_items = args.per_item(where, "colors", colors, (str, tuple), count)
        axes = self._axes("draw_binary_masks()")
        rgb = [args.rgb255(where, "colors", c) for c in color_items]
        if isinstance(alphas, (int, float)) and not isinstance(alphas, bool):
            alphas = [float(alphas)] * count
        alpha_items = args.per_item(where, "alphas", alphas, (int, float), count)
        for mask, color, alpha in zip(masks, rgb, alpha_items):
            tinted = image.copy()
            tinted[mask] = color
            image = blend(image, tinted, float(alpha))
        paste(axes, image, "nearest")
        return self

    @staticmethod
    def draw_featmap(
        featmap: Any,
        overlaid_image: Any = None,
        channel_reduction: str | None = "squeeze_mean",
        topk: int = 20,
        arrangement: tuple[int, int] = (4, 5),
        resize_shape: tuple[int, int] | None = None,
        alpha: float = 0.5,
    ) -> Any:
        """A (C, H, W) feature map as an RGB ``uint8`` jet heat map, over ``overlaid_image``.

        - ``channel_reduction='squeeze_mean'`` (the channel mean) or
          ``'select_max'`` (the channel with the largest sum): one (H, W, 3) map.
        - ``channel_reduction=None, topk <= 0``: a 1- or 3-channel map drawn whole.
        - ``channel_reduction=None, topk > 0``: the ``topk`` channels with the
          largest sums in an ``arrangement`` (rows, columns) grid, captioned
          with their channel index: (H * rows, W * columns, 3).

        The map is resized (bilinear) to ``overlaid_image``, or both to
        ``resize_shape`` (h, w); ``alpha`` weighs the map against the image.
        A static method, as in MMEngine.
        """
        from .featmap import draw_featmap

        return draw_featmap(
            featmap, overlaid_image, channel_reduction, topk, arrangement, resize_shape, alpha
        )

    def show(
        self,
        drawn_img: Any = None,
        win_name: str = "image",
        wait_time: float = 0.0,
        continue_key: str = " ",
        backend: str = "matplotlib",
    ) -> Any:
        """Show ``drawn_img`` (the drawn image when None) in a window, on rank 0.

        Waits for ``continue_key`` (or the window closing), at most
        ``wait_time`` seconds when it is above 0. In Jupyter the figure is
        returned. Without a display (matplotlib's Agg backend) raises
        ``DisplayNotAvailableError``, where MMEngine would wait for ever.
        """
        from ..distributed.utils import is_main_process
        from .show import show_image

        if not is_main_process():
            return None
        image = self.get_image() if drawn_img is None else drawn_img
        return show_image(self, image, win_name, wait_time, continue_key, backend)

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
        """Do nothing, as MMEngine's base class: a task's Visualizer subclass draws samples."""


def _array_types() -> tuple[type, ...]:
    """numpy's array type, and torch's tensor type once torch is imported."""
    import sys

    import numpy as np

    torch = sys.modules.get("torch")
    return (np.ndarray,) if torch is None else (np.ndarray, torch.Tensor)
