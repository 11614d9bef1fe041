"""The model contract (``BaseModel``) and data preprocessors."""

from __future__ import annotations

from .base_model import BaseModel, ModuleAdapter, is_model, parse_losses, run_forward
from .data_preprocessor import BaseDataPreprocessor, ImgDataPreprocessor, cast_data, stack_batch
from .tta import BaseTTAModel, apply_tta

__all__ = [
    "BaseDataPreprocessor",
    "BaseModel",
    "BaseTTAModel",
    "ImgDataPreprocessor",
    "ModuleAdapter",
    "apply_tta",
    "cast_data",
    "is_model",
    "parse_losses",
    "run_forward",
    "stack_batch",
]
