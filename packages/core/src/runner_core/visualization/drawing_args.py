"""Argument checks and colour conversion for the drawing methods (MMEngine's rules).

MMEngine takes one value for all items or a list with one per item
(``colors='r'`` or ``colors=['r', (0, 0, 255)]``), colours as matplotlib
names or RGB tuples of 0-255 ints, and coordinates as numpy arrays or
tensors. These helpers apply the same rules and name the argument at fault.
"""

from __future__ import annotations

import numbers
import sys
from typing import Any, NoReturn

from .drawing_errors import DrawingTypeError, DrawingValueError


def _type_names(types: tuple[type, ...]) -> str:
    return " or ".join(t.__name__ for t in types)


def check_type(where: str, name: str, value: Any, types: tuple[type, ...]) -> None:
    """Raise ``DrawingTypeError`` unless ``value`` is one of ``types``."""
    if not isinstance(value, types):
        raise DrawingTypeError(
            f"{where}: `{name}` should be {_type_names(types)}, got {type(value).__name__} "
            f"({value!r:.60})."
        )


def as_array(where: str, name: str, value: Any) -> Any:
    """``value`` (a numpy array or a tensor, as MMEngine requires) as a numpy array."""
    import numpy as np

    torch = sys.modules.get("torch")  # a tensor exists only once torch is imported
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if not isinstance(value, np.ndarray):
        raise DrawingTypeError(
            f"{where}: `{name}` should be a numpy array or a torch.Tensor, got "
            f"{type(value).__name__}; wrap it: np.asarray({name})."
        )
    return value


def per_item(
    where: str, name: str, value: Any, item_types: tuple[type, ...], count: int
) -> list[Any]:
    """``value`` as a list of ``count`` items: one value repeated, or a list of at least ``count``.

    MMEngine's ``check_type_and_length`` then ``value2list``: a list shorter
    than the number of items is an ``AssertionError`` there.
    """
    if isinstance(value, item_types):
        return [value] * count
    if not isinstance(value, list):
        raise DrawingTypeError(
            f"{where}: `{name}` should be {_type_names(item_types)} or a list of them (one per "
            f"item), got {type(value).__name__} ({value!r:.60})."
        )
    if len(value) < count:
        raise DrawingValueError(
            f"{where}: `{name}` has {len(value)} values for {count} items; give one value for "
            "all, or at least one per item."
        )
    return value[:count]


def _check_rgb_tuple(where: str, name: str, color: tuple) -> None:
    if len(color) != 3 or not all(
        # numbers.Real: numpy scalars too (mmdet's palettes are tuples of np.int64/np.uint8)
        isinstance(c, numbers.Real) and not isinstance(c, bool) and 0 <= float(c) <= 255
        for c in color
    ):
        raise DrawingValueError(
            f"{where}: `{name}` colour {color!r} should be an RGB tuple of three numbers in "
            "0-255, e.g. (255, 0, 0), or a matplotlib colour name such as 'r' or 'red'."
        )


def mpl_color(where: str, name: str, color: Any) -> Any:
    """One colour as matplotlib takes it: a name unchanged, an RGB 0-255 tuple scaled to 0-1."""
    if isinstance(color, str):
        from matplotlib.colors import is_color_like

        if color.lower() != "none" and not is_color_like(color):
            raise DrawingValueError(
                f"{where}: `{name}` colour {color!r} is not a matplotlib colour; use a name "
                "('r', 'red', 'tab:blue'), a hex string ('#ff0000') or an RGB tuple (255, 0, 0)."
            )
        return color
    if isinstance(color, tuple):
        _check_rgb_tuple(where, name, color)
        return tuple(c / 255 for c in color)
    _reject_color(where, name, color)


def _reject_color(where: str, name: str, color: Any) -> NoReturn:
    if isinstance(color, (int, float)) and not isinstance(color, bool):
        raise DrawingTypeError(
            f"{where}: `{name}` holds the number {color!r} where a colour is expected; a list "
            "gives one colour per item, so write one RGB colour as a tuple: (255, 0, 0)."
        )
    raise DrawingTypeError(
        f"{where}: `{name}` should be a colour name, an RGB tuple or a list of them, got "
        f"{type(color).__name__} ({color!r:.60})."
    )


def mpl_colors(where: str, name: str, colors: Any) -> Any:
    """A colour or a list of colours (one per item) in matplotlib's form (MMEngine's rule)."""
    if isinstance(colors, list):
        return [mpl_color(where, name, c) for c in colors]
    return mpl_color(where, name, colors)


def rgb255(where: str, name: str, color: Any) -> tuple[int, int, int]:
    """One colour as a 0-255 RGB tuple (a name is truncated as MMEngine's ``color_str2rgb``)."""
    if isinstance(color, str):
        from matplotlib.colors import to_rgb

        try:
            rgb = to_rgb(color)
        except ValueError:
            mpl_color(where, name, color)  # raises the explaining error
            raise
        return (int(rgb[0] * 255), int(rgb[1] * 255), int(rgb[2] * 255))
    if isinstance(color, tuple):
        _check_rgb_tuple(where, name, color)
        return (color[0], color[1], color[2])
    _reject_color(where, name, color)


def clamped_line_widths(where: str, line_widths: Any, count: int, max_width: float) -> list[float]:
    """One width per item, each clamped to [1, ``max_width``] as MMEngine does for outlines."""
    if isinstance(line_widths, (int, float)) and not isinstance(line_widths, bool):
        line_widths = [line_widths] * count
    check_type(where, "line_widths", line_widths, (int, float, list))
    return [min(max(float(w), 1.0), max_width) for w in line_widths]
