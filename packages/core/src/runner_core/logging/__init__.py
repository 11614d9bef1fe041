"""Logging primitives: the rank-aware logger and the MessageHub."""

from __future__ import annotations

from .logger import get_logger
from .message_hub import HistoryBuffer, MessageHub

__all__ = ["HistoryBuffer", "MessageHub", "get_logger"]
