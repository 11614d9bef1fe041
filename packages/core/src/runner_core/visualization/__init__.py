"""Visualisation: the ``Visualizer`` that fans scalars and configs out to backends.

Importing this package is cheap (no torch, no matplotlib).
"""

from __future__ import annotations

from .drawing import DrawingNotAvailableError
from .vis_backend import BaseVisBackend, force_init_env
from .visualizer import Visualizer

__all__ = ["BaseVisBackend", "DrawingNotAvailableError", "Visualizer", "force_init_env"]
