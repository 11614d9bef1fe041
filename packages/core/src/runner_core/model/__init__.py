"""The model contract (``BaseModel``) and data preprocessors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports
from .averaged_model import (
    BaseAveragedModel,
    ExponentialMovingAverage,
    MomentumAnnealingEMA,
    StochasticWeightAverage,
)
from .base_model import (
    BaseModel,
    BaseModule,
    ModuleAdapter,
    ModuleDict,
    ModuleList,
    Sequential,
    is_model,
    parse_losses,
    run_forward,
)
from .data_preprocessor import BaseDataPreprocessor, ImgDataPreprocessor, cast_data, stack_batch
from .loss_utils import detect_anomalous_params, merge_dict
from .sync_bn import convert_sync_batchnorm, revert_sync_batchnorm
from .tta import BaseTTAModel, apply_tta
from .weight_init import (
    BaseInit,
    Caffe2XavierInit,
    ConstantInit,
    KaimingInit,
    NormalInit,
    PretrainedInit,
    TruncNormalInit,
    UniformInit,
    XavierInit,
    bias_init_with_prob,
    caffe2_xavier_init,
    constant_init,
    initialize,
    kaiming_init,
    normal_init,
    trunc_normal_init,
    uniform_init,
    update_init_info,
    xavier_init,
)

__all__ = [
    "BaseAveragedModel",
    "BaseDataPreprocessor",
    "BaseInit",
    "BaseModel",
    "BaseModule",
    "BaseTTAModel",
    "Caffe2XavierInit",
    "ConstantInit",
    "ExponentialMovingAverage",
    "ImgDataPreprocessor",
    "KaimingInit",
    "MMDistributedDataParallel",
    "MMFullyShardedDataParallel",
    "MMSeparateDistributedDataParallel",
    "ModuleAdapter",
    "ModuleDict",
    "ModuleList",
    "MomentumAnnealingEMA",
    "NormalInit",
    "PretrainedInit",
    "Sequential",
    "StochasticWeightAverage",
    "TruncNormalInit",
    "UniformInit",
    "XavierInit",
    "apply_tta",
    "bias_init_with_prob",
    "caffe2_xavier_init",
    "cast_data",
    "constant_init",
    "convert_sync_batchnorm",
    "detect_anomalous_params",
    "initialize",
    "is_model",
    "is_model_wrapper",
    "kaiming_init",
    "merge_dict",
    "normal_init",
    "parse_losses",
    "revert_sync_batchnorm",
    "run_forward",
    "stack_batch",
    "trunc_normal_init",
    "turn_on_activation_checkpointing",
    "turn_on_efficient_conv_bn_eval",
    "uniform_init",
    "update_init_info",
    "xavier_init",
]

if TYPE_CHECKING:  # pragma: no cover
    from ..distributed.mm_fsdp import MMFullyShardedDataParallel
    from ..distributed.model_wrappers import (
        MMDistributedDataParallel,
        MMSeparateDistributedDataParallel,
        is_model_wrapper,
    )
    from .activation_checkpointing import turn_on_activation_checkpointing
    from .efficient_conv_bn_eval import turn_on_efficient_conv_bn_eval
else:  # the wrappers module imports this package's BaseModel: load it on first use
    # torch.fx and torch.utils.checkpoint load only when a config turns these on
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            **dict.fromkeys(
                [
                    "is_model_wrapper",
                    "MMDistributedDataParallel",
                    "MMSeparateDistributedDataParallel",
                ],
                "runner_core.distributed.model_wrappers",
            ),
            "MMFullyShardedDataParallel": "runner_core.distributed.mm_fsdp",
            "turn_on_activation_checkpointing": ".activation_checkpointing",
            "turn_on_efficient_conv_bn_eval": ".efficient_conv_bn_eval",
        },
        globals(),
    )
