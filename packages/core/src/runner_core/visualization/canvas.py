"""The matplotlib figure the ``Visualizer`` draws on: one Agg canvas the size of the image.

matplotlib is an optional dependency (``pip install "runner-core[draw]"``),
imported here only when drawing starts, so building a ``Visualizer`` for
scalars costs nothing. The figure has no GUI (a ``FigureCanvasAgg``, not
pyplot), one axes covering it edge to edge, and is sized so that one data
unit is one pixel: a box drawn at x=10 lands on pixel column 10.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .drawing_errors import INSTALL_HINT, DrawingNotAvailableError


def require_matplotlib(what: str) -> Any:
    """The ``matplotlib`` module, or ``DrawingNotAvailableError`` naming ``what`` needs it."""
    try:
        import matplotlib
        from matplotlib.backends import backend_agg  # noqa: F401  (the canvas we draw on)
    except ImportError as exc:
        raise DrawingNotAvailableError(
            f"{what} draws with matplotlib, which is not installed ({exc}). Install the "
            f'drawing extra: {INSTALL_HINT} (or pip install "matplotlib>=3.7"). Recording '
            "scalars, configs and ready-made images (add_image) works without it."
        ) from exc
    return matplotlib


def new_figure(fig_cfg: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """``(canvas, figure, axes)``: a frameless figure whose one axes fills it, on Agg."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(**dict(fig_cfg))
    axes = figure.add_subplot()
    axes.axis(False)
    figure.subplots_adjust(left=0, right=1, bottom=0, top=1)
    return FigureCanvasAgg(figure), figure, axes


def fit_to_image(figure: Any, axes: Any, image: Any) -> None:
    """Clear ``axes`` and show ``image`` on it, one pixel per data unit (y pointing down)."""
    height, width = image.shape[:2]
    dpi = figure.get_dpi()
    # the canvas is int(size * dpi) pixels: a little over the width keeps float error
    # from rounding it one pixel short
    figure.set_size_inches((width + 1e-2) / dpi, (height + 1e-2) / dpi)
    axes.cla()
    axes.axis(False)
    paste(axes, image, "none")


def paste(axes: Any, image: Any, interpolation: str = "nearest") -> None:
    """Put ``image`` on ``axes`` covering the whole canvas (under what is drawn on it)."""
    height, width = image.shape[:2]
    axes.imshow(image, extent=(0, width, height, 0), interpolation=interpolation)


def render(canvas: Any) -> Any:
    """What ``canvas`` shows now, as an (H, W, 3) RGB ``uint8`` array."""
    import numpy as np

    canvas.draw()
    return np.array(canvas.buffer_rgba())[..., :3]
