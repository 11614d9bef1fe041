"""MMEngine's ``parrots_wrapper`` names, for code ported by changing its imports.

MMEngine chose between torch's and SenseTime Parrots' classes here; runner
supports torch only, so each name is torch's own class. OpenMMLab's
layer-decay optimizer constructors and norm checks import ``_BatchNorm`` and
``_InstanceNorm`` from this path.
"""

from __future__ import annotations

import torch
from torch.nn import SyncBatchNorm
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd, _ConvTransposeMixin
from torch.nn.modules.instancenorm import _InstanceNorm
from torch.nn.modules.pooling import _AdaptiveAvgPoolNd, _AdaptiveMaxPoolNd, _AvgPoolNd, _MaxPoolNd
from torch.utils.data import DataLoader

TORCH_VERSION = torch.__version__
#: Parrots' pooled loader; torch's own ``DataLoader`` here
PoolDataLoader = DataLoader
#: MMEngine's name for the norm class its ``SyncBatchNorm`` derives from
SyncBatchNorm_ = SyncBatchNorm

__all__ = [
    "TORCH_VERSION",
    "DataLoader",
    "PoolDataLoader",
    "SyncBatchNorm",
    "SyncBatchNorm_",
    "_AdaptiveAvgPoolNd",
    "_AdaptiveMaxPoolNd",
    "_AvgPoolNd",
    "_BatchNorm",
    "_ConvNd",
    "_ConvTransposeMixin",
    "_InstanceNorm",
    "_MaxPoolNd",
]
