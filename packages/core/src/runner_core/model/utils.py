"""MMEngine's ``mmengine.model.utils`` import path (mmseg's tools import
``revert_sync_batchnorm`` from it); the code lives in this package's modules."""

from __future__ import annotations

from .data_preprocessor import stack_batch
from .loss_utils import detect_anomalous_params, merge_dict
from .sync_bn import convert_sync_batchnorm, revert_sync_batchnorm

__all__ = [
    "convert_sync_batchnorm",
    "detect_anomalous_params",
    "merge_dict",
    "revert_sync_batchnorm",
    "stack_batch",
]
