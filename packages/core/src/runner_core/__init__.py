"""runner_core: the Runner, the Registry, Config and the hook/loop contracts.

Importing this package is cheap: nothing here imports torch. The heavy names
(``Runner``, ``BaseLoop``, ...) are loaded on first attribute access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .__about__ import __version__
from .lazy import lazy_exports


def _version_tuple(version: str) -> tuple[int | str, ...]:
    """``'0.1.0'`` -> ``(0, 1, 0)``, ``'0.2.0rc1'`` -> ``(0, 2, 0, 'rc1')``: MMEngine's
    ``parse_version_info`` rule (other parts, ``post1`` or ``0+g12``, are left out)."""
    parts: list[int | str] = []
    for part in version.split("."):
        number, rc, rest = part.partition("rc")
        if part.isdigit():
            parts.append(int(part))
        elif rc and number.isdigit():
            parts += [int(number), f"rc{rest}"]
    return tuple(parts)


#: ``__version__`` as a tuple, as ``mmengine.version_info``: ``(0, 1, 0)``
version_info: tuple[int | str, ...] = _version_tuple(__version__)

_LAZY = {
    "Config": "runner_core.config",
    "ConfigDict": "runner_core.config",
    "Runner": "runner_core.runner",
    "BaseLoop": "runner_core.loop",
    "Hook": "runner_core.hooks",
    "Priority": "runner_core.hooks",
    "BaseModel": "runner_core.model",
    "BaseDataPreprocessor": "runner_core.model",
    "Evaluator": "runner_core.evaluator",
    "BaseMetric": "runner_core.evaluator",
    "DictAction": "runner_core.config",
    "read_base": "runner_core.config",
    "MessageHub": "runner_core.logging",
    "MMLogger": "runner_core.logging",
    "HistoryBuffer": "runner_core.logging",
    "print_log": "runner_core.logging",
    "Registry": "runner_core.registry",
    "RUNNERS": "runner_core.registry",
    "LOOPS": "runner_core.registry",
    "HOOKS": "runner_core.registry",
    "MODELS": "runner_core.registry",
    "DATASETS": "runner_core.registry",
    "DATA_SAMPLERS": "runner_core.registry",
    "TRANSFORMS": "runner_core.registry",
    "OPTIMIZERS": "runner_core.registry",
    "OPTIM_WRAPPERS": "runner_core.registry",
    "PARAM_SCHEDULERS": "runner_core.registry",
    "METRICS": "runner_core.registry",
    "EVALUATORS": "runner_core.registry",
    "VISBACKENDS": "runner_core.registry",
    "FUNCTIONS": "runner_core.registry",
    # the rest of what MMEngine's top-level package re-exports from mmengine.registry
    **dict.fromkeys(
        [
            "RUNNER_CONSTRUCTORS",
            "STRATEGIES",
            "MODEL_WRAPPERS",
            "WEIGHT_INITIALIZERS",
            "OPTIM_WRAPPER_CONSTRUCTORS",
            "TASK_UTILS",
            "EVALUATOR",
            "VISUALIZERS",
            "LOG_PROCESSORS",
            "INFERENCERS",
            "build_from_cfg",
            "build_model_from_cfg",
            "build_runner_from_cfg",
            "build_scheduler_from_cfg",
            "count_registered_modules",
            "traverse_registry_tree",
            "init_default_scope",
            "DefaultScope",
        ],
        "runner_core.registry",
    ),
    # what MMEngine's top-level package re-exports from mmengine.fileio and mmengine.utils
    **dict.fromkeys(
        [
            "load",
            "dump",
            "get",
            "get_text",
            "put",
            "put_text",
            "exists",
            "isdir",
            "isfile",
            "join_path",
            "get_local_path",
            "list_dir_or_file",
            "list_from_file",
            "dict_from_file",
            "BaseFileHandler",
            "BaseStorageBackend",
            "FileClient",
            "HTTPBackend",
            "HardDiskBackend",
            "JsonHandler",
            "LmdbBackend",
            "LocalBackend",
            "MemcachedBackend",
            "PetrelBackend",
            "PickleHandler",
            "YamlHandler",
            "copy_if_symlink_fails",
            "copyfile",
            "copyfile_from_local",
            "copyfile_to_local",
            "copytree",
            "copytree_from_local",
            "copytree_to_local",
            "generate_presigned_url",
            "get_file_backend",
            "register_backend",
            "register_handler",
            "remove",
            "rmtree",
        ],
        "runner_core.fileio",
    ),
    **dict.fromkeys(
        [
            "is_str",
            "is_seq_of",
            "is_list_of",
            "is_tuple_of",
            "is_method_overridden",
            "has_method",
            "is_installed",
            "import_modules_from_strings",
            "to_1tuple",
            "to_2tuple",
            "to_3tuple",
            "to_4tuple",
            "to_ntuple",
            "mkdir_or_exist",
            "scandir",
            "check_file_exist",
            "is_filepath",
            "symlink",
            "digit_version",
            "ManagerMixin",
            "ProgressBar",
            "track_progress",
            "track_iter_progress",
            "Timer",
            "TimerError",
            "ManagerMeta",
            "apply_to",
            "call_command",
            "check_prerequisites",
            "check_time",
            "concat_list",
            "deprecated_api_warning",
            "deprecated_function",
            "fopen",
            "get_git_hash",
            "get_installed_path",
            "get_object_from_string",
            "install_package",
            "is_abs",
            "iter_cast",
            "list_cast",
            "requires_executable",
            "requires_package",
            "slice_list",
            "track_parallel_progress",
            "track_progress_rich",
            "tuple_cast",
        ],
        "runner_core.utils",
    ),
}

__all__ = ["__version__", "version_info", *_LAZY]

if TYPE_CHECKING:  # pragma: no cover  (each name from the module _LAZY loads it from)
    from . import distributed as dist  # noqa: F401  (what runner_core/dist.py makes it)
    from .config import Config as Config
    from .config import ConfigDict as ConfigDict
    from .config import DictAction as DictAction
    from .config import read_base as read_base
    from .evaluator import BaseMetric as BaseMetric
    from .evaluator import Evaluator as Evaluator
    from .fileio import BaseFileHandler as BaseFileHandler
    from .fileio import BaseStorageBackend as BaseStorageBackend
    from .fileio import FileClient as FileClient
    from .fileio import HardDiskBackend as HardDiskBackend
    from .fileio import HTTPBackend as HTTPBackend
    from .fileio import JsonHandler as JsonHandler
    from .fileio import LmdbBackend as LmdbBackend
    from .fileio import LocalBackend as LocalBackend
    from .fileio import MemcachedBackend as MemcachedBackend
    from .fileio import PetrelBackend as PetrelBackend
    from .fileio import PickleHandler as PickleHandler
    from .fileio import YamlHandler as YamlHandler
    from .fileio import copy_if_symlink_fails as copy_if_symlink_fails
    from .fileio import copyfile as copyfile
    from .fileio import copyfile_from_local as copyfile_from_local
    from .fileio import copyfile_to_local as copyfile_to_local
    from .fileio import copytree as copytree
    from .fileio import copytree_from_local as copytree_from_local
    from .fileio import copytree_to_local as copytree_to_local
    from .fileio import dict_from_file as dict_from_file
    from .fileio import dump as dump
    from .fileio import exists as exists
    from .fileio import generate_presigned_url as generate_presigned_url
    from .fileio import get as get
    from .fileio import get_file_backend as get_file_backend
    from .fileio import get_local_path as get_local_path
    from .fileio import get_text as get_text
    from .fileio import isdir as isdir
    from .fileio import isfile as isfile
    from .fileio import join_path as join_path
    from .fileio import list_dir_or_file as list_dir_or_file
    from .fileio import list_from_file as list_from_file
    from .fileio import load as load
    from .fileio import put as put
    from .fileio import put_text as put_text
    from .fileio import register_backend as register_backend
    from .fileio import register_handler as register_handler
    from .fileio import remove as remove
    from .fileio import rmtree as rmtree
    from .hooks import Hook as Hook
    from .hooks import Priority as Priority
    from .logging import HistoryBuffer as HistoryBuffer
    from .logging import MessageHub as MessageHub
    from .logging import MMLogger as MMLogger
    from .logging import print_log as print_log
    from .loop import BaseLoop as BaseLoop
    from .model import BaseDataPreprocessor as BaseDataPreprocessor
    from .model import BaseModel as BaseModel
    from .registry import DATA_SAMPLERS as DATA_SAMPLERS
    from .registry import DATASETS as DATASETS
    from .registry import EVALUATOR as EVALUATOR
    from .registry import EVALUATORS as EVALUATORS
    from .registry import FUNCTIONS as FUNCTIONS
    from .registry import HOOKS as HOOKS
    from .registry import INFERENCERS as INFERENCERS
    from .registry import LOG_PROCESSORS as LOG_PROCESSORS
    from .registry import LOOPS as LOOPS
    from .registry import METRICS as METRICS
    from .registry import MODEL_WRAPPERS as MODEL_WRAPPERS
    from .registry import MODELS as MODELS
    from .registry import OPTIM_WRAPPER_CONSTRUCTORS as OPTIM_WRAPPER_CONSTRUCTORS
    from .registry import OPTIM_WRAPPERS as OPTIM_WRAPPERS
    from .registry import OPTIMIZERS as OPTIMIZERS
    from .registry import PARAM_SCHEDULERS as PARAM_SCHEDULERS
    from .registry import RUNNER_CONSTRUCTORS as RUNNER_CONSTRUCTORS
    from .registry import RUNNERS as RUNNERS
    from .registry import STRATEGIES as STRATEGIES
    from .registry import TASK_UTILS as TASK_UTILS
    from .registry import TRANSFORMS as TRANSFORMS
    from .registry import VISBACKENDS as VISBACKENDS
    from .registry import VISUALIZERS as VISUALIZERS
    from .registry import WEIGHT_INITIALIZERS as WEIGHT_INITIALIZERS
    from .registry import DefaultScope as DefaultScope
    from .registry import Registry as Registry
    from .registry import build_from_cfg as build_from_cfg
    from .registry import build_model_from_cfg as build_model_from_cfg
    from .registry import build_runner_from_cfg as build_runner_from_cfg
    from .registry import build_scheduler_from_cfg as build_scheduler_from_cfg
    from .registry import count_registered_modules as count_registered_modules
    from .registry import init_default_scope as init_default_scope
    from .registry import traverse_registry_tree as traverse_registry_tree
    from .runner import Runner as Runner
    from .utils import ManagerMeta as ManagerMeta
    from .utils import ManagerMixin as ManagerMixin
    from .utils import ProgressBar as ProgressBar
    from .utils import Timer as Timer
    from .utils import TimerError as TimerError
    from .utils import apply_to as apply_to
    from .utils import call_command as call_command
    from .utils import check_file_exist as check_file_exist
    from .utils import check_prerequisites as check_prerequisites
    from .utils import check_time as check_time
    from .utils import concat_list as concat_list
    from .utils import deprecated_api_warning as deprecated_api_warning
    from .utils import deprecated_function as deprecated_function
    from .utils import digit_version as digit_version
    from .utils import fopen as fopen
    from .utils import get_git_hash as get_git_hash
    from .utils import get_installed_path as get_installed_path
    from .utils import get_object_from_string as get_object_from_string
    from .utils import has_method as has_method
    from .utils import import_modules_from_strings as import_modules_from_strings
    from .utils import install_package as install_package
    from .utils import is_abs as is_abs
    from .utils import is_filepath as is_filepath
    from .utils import is_installed as is_installed
    from .utils import is_list_of as is_list_of
    from .utils import is_method_overridden as is_method_overridden
    from .utils import is_seq_of as is_seq_of
    from .utils import is_str as is_str
    from .utils import is_tuple_of as is_tuple_of
    from .utils import iter_cast as iter_cast
    from .utils import list_cast as list_cast
    from .utils import mkdir_or_exist as mkdir_or_exist
    from .utils import requires_executable as requires_executable
    from .utils import requires_package as requires_package
    from .utils import scandir as scandir
    from .utils import slice_list as slice_list
    from .utils import symlink as symlink
    from .utils import to_1tuple as to_1tuple
    from .utils import to_2tuple as to_2tuple
    from .utils import to_3tuple as to_3tuple
    from .utils import to_4tuple as to_4tuple
    from .utils import to_ntuple as to_ntuple
    from .utils import track_iter_progress as track_iter_progress
    from .utils import track_parallel_progress as track_parallel_progress
    from .utils import track_progress as track_progress
    from .utils import track_progress_rich as track_progress_rich
    from .utils import tuple_cast as tuple_cast
else:  # type checkers see the real names above, so a misspelled import is an error
    _lazy_getattr, __dir__ = lazy_exports(__name__, _LAZY, globals())

    def __getattr__(name: str) -> object:
        if name == "dist":  # the submodule standing for MMEngine's mmengine.dist
            from importlib import import_module

            return import_module(f"{__name__}.dist")
        return _lazy_getattr(name)
