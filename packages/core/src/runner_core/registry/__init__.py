"""Registries: find models, datasets, loops, hooks, ... by name; build them from configs."""

from __future__ import annotations

from . import discovery
from .count import count_registered_modules
from .registry import Registry, accepts_argument, build_from_cfg, check_arguments, import_dotted
from .root import (
    ALL_REGISTRIES,
    DATA_SAMPLERS,
    DATASETS,
    DEFAULT_HOOK_SETS,
    EVALUATOR,
    EVALUATORS,
    FUNCTIONS,
    HOOKS,
    LOG_PROCESSORS,
    LOOPS,
    METRICS,
    MODEL_WRAPPERS,
    MODELS,
    OPTIM_WRAPPER_CONSTRUCTORS,
    OPTIM_WRAPPERS,
    OPTIMIZERS,
    PARAM_SCHEDULERS,
    PLUGINS,
    RUNNERS,
    TRANSFORMS,
    VISBACKENDS,
    VISUALIZERS,
)

__all__ = [
    "ALL_REGISTRIES",
    "DATASETS",
    "DATA_SAMPLERS",
    "DEFAULT_HOOK_SETS",
    "EVALUATOR",
    "EVALUATORS",
    "FUNCTIONS",
    "HOOKS",
    "LOG_PROCESSORS",
    "LOOPS",
    "METRICS",
    "MODELS",
    "MODEL_WRAPPERS",
    "OPTIMIZERS",
    "OPTIM_WRAPPERS",
    "OPTIM_WRAPPER_CONSTRUCTORS",
    "PARAM_SCHEDULERS",
    "PLUGINS",
    "RUNNERS",
    "Registry",
    "TRANSFORMS",
    "VISBACKENDS",
    "VISUALIZERS",
    "build_from_cfg",
    "accepts_argument",
    "check_arguments",
    "count_registered_modules",
    "discovery",
    "import_dotted",
]
