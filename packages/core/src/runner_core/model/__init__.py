"""The model contract (``BaseModel``) and data preprocessors."""

from __future__ import annotations

from .base_model import BaseModel, ModuleAdapter, is_model, parse_losses, run_forward
from .data_preprocessor import BaseDataPreprocessor, ImgDataPreprocessor, cast_data

__all__ = [
    "BaseDataPreprocessor",
    "BaseModel",
    "ImgDataPreprocessor",
    "ModuleAdapter",
    "cast_data",
    "is_model",
    "parse_losses",
    "run_forward",
]
