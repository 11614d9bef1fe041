"""runner_core: the Runner, the Registry, Config and the hook/loop contracts.

Importing this package is cheap: nothing here imports torch. The heavy names
(``Runner``, ``BaseLoop``, ...) are loaded on first attribute access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .__about__ import __version__
from .lazy import lazy_exports

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
        ],
        "runner_core.utils",
    ),
}

__all__ = ["__version__", *_LAZY]

if TYPE_CHECKING:  # pragma: no cover
    from .config import Config as Config
    from .config import ConfigDict as ConfigDict
    from .hooks import Hook as Hook
    from .hooks import Priority as Priority
    from .loop import BaseLoop as BaseLoop
    from .runner import Runner as Runner

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
