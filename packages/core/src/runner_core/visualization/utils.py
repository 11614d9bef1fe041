"""MMEngine's ``mmengine.visualization.utils``: the helpers task visualizers import.

mmdet3d, mmyolo and other OpenMMLab visualizers call these to check their
arguments, convert colours and overlay feature maps. Same names, arguments and
results as MMEngine's, without OpenCV (the heat map is
:func:`.featmap.heatmap`, the same arithmetic as ``draw_featmap``).
"""

from __future__ import annotations

from typing import Any

from .drawing_args import mpl_color, rgb255
from .featmap import heatmap

__all__ = [
    "check_length",
    "check_type",
    "check_type_and_length",
    "color_str2rgb",
    "color_val_matplotlib",
    "convert_overlay_heatmap",
    "img_from_canvas",
    "tensor2ndarray",
    "value2list",
    "wait_continue",
]

ValidType = type | tuple[type, ...]


def tensor2ndarray(value: Any) -> Any:
    """A tensor as a numpy array (detached, on the CPU); anything else as it is."""
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return value


def value2list(value: Any, valid_type: ValidType, expand_dim: int) -> Any:
    """``[value] * expand_dim`` when ``value`` is a ``valid_type``; otherwise ``value``."""
    if isinstance(value, valid_type):
        return [value] * expand_dim
    return value


def check_type(name: str, value: Any, valid_type: ValidType) -> None:
    """Raise ``TypeError`` naming ``name`` unless ``value`` is a ``valid_type``."""
    if not isinstance(value, valid_type):
        raise TypeError(f"`{name}` should be {valid_type}  but got {type(value)}")


def check_length(name: str, value: Any, valid_length: int) -> None:
    """Raise ``AssertionError`` if ``value`` is a list shorter than ``valid_length``."""
    if isinstance(value, list) and len(value) < valid_length:
        raise AssertionError(
            f"The length of {name} must equal with or greater than {valid_length}, "
            f"but got {len(value)}"
        )


def check_type_and_length(name: str, value: Any, valid_type: ValidType, valid_length: int) -> None:
    """:func:`check_type`, then :func:`check_length`."""
    check_type(name, value, valid_type)
    check_length(name, value, valid_length)


def color_val_matplotlib(colors: Any) -> Any:
    """RGB colours in 0-255 as matplotlib's 0-1 tuples; names pass through; lists element-wise."""
    if isinstance(colors, str):
        return colors
    if isinstance(colors, tuple):  # checked and scaled as the draw_* methods do
        return mpl_color("color_val_matplotlib", "colors", colors)
    if isinstance(colors, list):
        return [color_val_matplotlib(color) for color in colors]
    raise TypeError(f"Invalid type for color: {type(colors)}")


def color_str2rgb(color: str) -> tuple:
    """A matplotlib colour name as an RGB tuple in 0-255 (alpha dropped)."""
    from .canvas import require_matplotlib

    require_matplotlib("color_str2rgb")
    return rgb255("color_str2rgb", "color", color)


def convert_overlay_heatmap(feat_map: Any, img: Any = None, alpha: float = 0.5) -> Any:
    """An (H, W) or (1 or 3, H, W) feature map as a jet heat map, blended over ``img``."""
    if not (feat_map.ndim == 2 or (feat_map.ndim == 3 and feat_map.shape[0] in (1, 3))):
        raise AssertionError(
            f"feat_map must be (H, W) or (1 or 3, H, W), got shape {tuple(feat_map.shape)}"
        )
    return heatmap(feat_map, img, alpha)


def wait_continue(figure: Any, timeout: float = 0, continue_key: str = " ") -> int:
    """Show ``figure`` and wait for ``continue_key`` or ``timeout`` seconds (0: no limit).

    Returns 0 when it timed out or the key was pressed, 1 when the window was
    closed; 0 at once under an inline (notebook) backend, which cannot wait.
    """
    from .canvas import require_matplotlib

    matplotlib = require_matplotlib("wait_continue")
    if "inline" in matplotlib.get_backend():
        return 0
    from matplotlib.backend_bases import CloseEvent

    if figure.canvas.manager:
        figure.show()
    while True:
        event: Any = None

        def handler(ev: Any) -> None:
            nonlocal event
            # a Qt window may send two events at once: a close must not be lost
            event = ev if not isinstance(event, CloseEvent) else event
            figure.canvas.stop_event_loop()

        ids = [
            figure.canvas.mpl_connect(kind, handler) for kind in ("key_press_event", "close_event")
        ]
        try:
            figure.canvas.start_event_loop(timeout)
        finally:
            for cid in ids:
                figure.canvas.mpl_disconnect(cid)
        if isinstance(event, CloseEvent):
            return 1
        if event is None or event.key == continue_key:
            return 0


def img_from_canvas(canvas: Any) -> Any:
    """What an Agg ``canvas`` holds, as an (H, W, 3) RGB ``uint8`` array."""
    import numpy as np

    data, (width, height) = canvas.print_to_buffer()
    rgba = np.frombuffer(data, dtype=np.uint8).reshape(height, width, 4)
    return rgba[..., :3].astype(np.uint8)
