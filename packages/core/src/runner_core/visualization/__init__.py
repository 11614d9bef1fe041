"""Visualisation: the ``Visualizer`` that fans scalars, images and configs out to backends,
and draws boxes, texts, masks and feature maps on images (MMEngine's drawing API).

Importing this package is cheap (no torch, no numpy, no matplotlib); matplotlib,
an optional dependency (``pip install "runner-core[draw]"``), is imported when
drawing starts.
"""

from __future__ import annotations

from .drawing_errors import (
    DisplayNotAvailableError,
    DrawingNotAvailableError,
    DrawingTypeError,
    DrawingValueError,
)
from .vis_backend import BaseVisBackend, force_init_env
from .visualizer import Visualizer

__all__ = [
    "BaseVisBackend",
    "DisplayNotAvailableError",
    "DrawingNotAvailableError",
    "DrawingTypeError",
    "DrawingValueError",
    "Visualizer",
    "force_init_env",
]
