"""The Runner."""

from __future__ import annotations

from .runner import Runner

__all__ = ["Runner"]
