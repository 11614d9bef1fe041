"""Checkpoint files, by their old import path: atomic save, integrity check, safe load.

Kept so ``runner_core.checkpoint.io`` imports keep working; each concept
lives in its own module (atomic, plain_data, integrity, safe_load).
"""

from __future__ import annotations

from runner_core.checkpoint.atomic import (
    TEMP_FILE_PATTERN,
    cleanup_orphaned_temp_files,
    save_checkpoint,
    write_bytes_atomic,
)
from runner_core.checkpoint.integrity import CHECKPOINT_SUFFIXES, verify_checkpoint
from runner_core.checkpoint.plain_data import find_unsafe, to_safe
from runner_core.checkpoint.safe_load import MapLocation, load_checkpoint

__all__ = [
    "CHECKPOINT_SUFFIXES",
    "TEMP_FILE_PATTERN",
    "MapLocation",
    "cleanup_orphaned_temp_files",
    "find_unsafe",
    "load_checkpoint",
    "save_checkpoint",
    "to_safe",
    "verify_checkpoint",
    "write_bytes_atomic",
]
