"""Logging primitives: the rank-aware logger, ``print_log`` and the MessageHub."""

from __future__ import annotations

from .logger import MMLogger, RunLogger, get_logger
from .message_hub import HistoryBuffer, MessageHub
from .print_log import print_log

__all__ = ["HistoryBuffer", "MMLogger", "MessageHub", "RunLogger", "get_logger", "print_log"]
