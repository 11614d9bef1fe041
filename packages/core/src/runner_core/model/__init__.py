"""The model contract (``BaseModel``) and data preprocessors."""

from __future__ import annotations

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
    "initialize",
    "is_model",
    "parse_losses",
    "run_forward",
    "stack_batch",
]
