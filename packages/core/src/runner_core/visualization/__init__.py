"""Visualisation: the ``Visualizer`` that fans scalars and configs out to backends.

Importing this package is cheap (no torch, no matplotlib).
"""

from __future__ import annotations

from .visualizer import Visualizer

__all__ = ["Visualizer"]
