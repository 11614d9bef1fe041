"""The Runner (and, as in ``mmengine.runner``, its ``LogProcessor``)."""

from __future__ import annotations

from ..logging.log_processor import LogProcessor
from .runner import Runner

__all__ = ["LogProcessor", "Runner"]
