"""Helpers OpenMMLab code imports from ``mmengine.utils``: type checks, paths, versions, progress.

Each behaves as MMEngine 0.10.7's. Nothing here imports torch, numpy or rich;
the torch-side names of ``mmengine.utils.dl_utils`` are in
``runner_core.utils.dl_utils``, loaded on first use.
"""

from __future__ import annotations

from .deprecation import deprecated_api_warning, deprecated_function
from .manager import ManagerMeta, ManagerMixin
from .misc import (
    apply_to,
    concat_list,
    get_object_from_string,
    has_method,
    import_modules_from_strings,
    is_installed,
    is_list_of,
    is_method_overridden,
    is_seq_of,
    is_str,
    is_tuple_of,
    iter_cast,
    list_cast,
    slice_list,
    to_1tuple,
    to_2tuple,
    to_3tuple,
    to_4tuple,
    to_ntuple,
    tuple_cast,
)
from .package import call_command, get_installed_path, install_package
from .path import (
    check_file_exist,
    fopen,
    is_abs,
    is_filepath,
    mkdir_or_exist,
    scandir,
    symlink,
)
from .prerequisites import check_prerequisites, requires_executable, requires_package
from .progress import ProgressBar, track_iter_progress, track_parallel_progress, track_progress
from .progress_rich import track_progress_rich
from .timer import Timer, TimerError, check_time
from .version import digit_version, get_git_hash

__all__ = [
    "ManagerMeta",
    "ManagerMixin",
    "ProgressBar",
    "Timer",
    "TimerError",
    "apply_to",
    "call_command",
    "check_file_exist",
    "check_prerequisites",
    "check_time",
    "concat_list",
    "deprecated_api_warning",
    "deprecated_function",
    "digit_version",
    "fopen",
    "get_git_hash",
    "get_installed_path",
    "get_object_from_string",
    "has_method",
    "import_modules_from_strings",
    "install_package",
    "is_abs",
    "is_filepath",
    "is_installed",
    "is_list_of",
    "is_method_overridden",
    "is_seq_of",
    "is_str",
    "is_tuple_of",
    "iter_cast",
    "list_cast",
    "mkdir_or_exist",
    "requires_executable",
    "requires_package",
    "scandir",
    "slice_list",
    "symlink",
    "to_1tuple",
    "to_2tuple",
    "to_3tuple",
    "to_4tuple",
    "to_ntuple",
    "track_iter_progress",
    "track_parallel_progress",
    "track_progress",
    "track_progress_rich",
    "tuple_cast",
]
