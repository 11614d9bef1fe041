"""The model contract (``BaseModel``) and data preprocessors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports
from .base_model import (
    BaseModel,
    BaseModule,
    ModuleAdapter,
    ModuleList,
    Sequential,
    is_model,
    parse_losses,
    run_forward,
)
from .data_preprocessor import BaseDataPreprocessor, ImgDataPreprocessor, cast_data, stack_batch
from .sync_bn import convert_sync_batchnorm, revert_sync_batchnorm
from .tta import BaseTTAModel, apply_tta
from .weight_init import bias_init_with_prob, initialize

__all__ = [
    "BaseDataPreprocessor",
    "BaseModel",
    "BaseModule",
    "BaseTTAModel",
    "ImgDataPreprocessor",
    "ModuleAdapter",
    "ModuleList",
    "Sequential",
    "apply_tta",
    "bias_init_with_prob",
    "cast_data",
    "convert_sync_batchnorm",
    "initialize",
    "is_model",
    "is_model_wrapper",
    "parse_losses",
    "revert_sync_batchnorm",
    "run_forward",
    "stack_batch",
]

if TYPE_CHECKING:  # pragma: no cover
    from ..distributed.model_wrappers import is_model_wrapper

# the wrappers module imports this package's BaseModel: load it on first use
__getattr__, __dir__ = lazy_exports(
    __name__, {"is_model_wrapper": "runner_core.distributed.model_wrappers"}, globals()
)
