"""Helpers OpenMMLab code imports from ``mmengine.utils``: type checks, paths, versions, progress.

Each behaves as MMEngine 0.10.7's. Nothing here imports torch or numpy.
"""

from __future__ import annotations

from .manager import ManagerMixin
from .misc import (
    has_method,
    import_modules_from_strings,
    is_installed,
    is_list_of,
    is_method_overridden,
    is_seq_of,
    is_str,
    is_tuple_of,
    to_1tuple,
    to_2tuple,
    to_3tuple,
    to_4tuple,
    to_ntuple,
)
from .path import check_file_exist, is_filepath, mkdir_or_exist, scandir, symlink
from .progress import ProgressBar, track_iter_progress, track_progress
from .timer import Timer, TimerError
from .version import digit_version

__all__ = [
    "ManagerMixin",
    "ProgressBar",
    "Timer",
    "TimerError",
    "check_file_exist",
    "digit_version",
    "has_method",
    "import_modules_from_strings",
    "is_filepath",
    "is_installed",
    "is_list_of",
    "is_method_overridden",
    "is_seq_of",
    "is_str",
    "is_tuple_of",
    "mkdir_or_exist",
    "scandir",
    "symlink",
    "to_1tuple",
    "to_2tuple",
    "to_3tuple",
    "to_4tuple",
    "to_ntuple",
    "track_iter_progress",
    "track_progress",
]
