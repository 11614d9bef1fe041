"""The ``strategy=`` of a :class:`~runner_core.runner.flexible_runner.FlexibleRunner`.

MMEngine's strategy names, registered in ``STRATEGIES`` (entry points of
runner-core). Each holds options the FlexibleRunner maps onto the Runner's
arguments; the Runner does the work. Importing this package imports no torch.
"""

from __future__ import annotations

from .base import BaseStrategy
from .ddp import DDPStrategy
from .fsdp import FSDPStrategy
from .single_device import SingleDeviceStrategy
from .unsupported import ColossalAIStrategy, DeepSpeedStrategy, StrategyNotSupportedError

__all__ = [
    "BaseStrategy",
    "ColossalAIStrategy",
    "DDPStrategy",
    "DeepSpeedStrategy",
    "FSDPStrategy",
    "SingleDeviceStrategy",
    "StrategyNotSupportedError",
]
