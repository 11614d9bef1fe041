"""``DDPStrategy``: the Runner's DistributedDataParallel, configured as MMEngine's strategy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .single_device import SingleDeviceStrategy


class DDPStrategy(SingleDeviceStrategy):
    """Data-parallel training over the processes the launcher started.

    Args:
        model_wrapper: the Runner's ``model_wrapper_cfg`` (``dict(type='MMDistributedDataParallel',
            find_unused_parameters=True)``, ...); None is MMEngine's default, DDP with
            ``broadcast_buffers=False``.
        sync_bn: ``'torch'`` turns BatchNorm layers into SyncBatchNorm in a distributed run.
        **kwargs: :class:`~.base.BaseStrategy`'s options.

    In one process (``launcher='none'``) the model is not wrapped and trains as with
    :class:`~.single_device.SingleDeviceStrategy` (MMEngine's needs ``LOCAL_RANK`` set).
    """

    def __init__(
        self,
        *,
        model_wrapper: Mapping[str, Any] | None = None,
        sync_bn: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model_wrapper = dict(model_wrapper) if model_wrapper is not None else None
        self.sync_bn = sync_bn

    def runner_launcher(self, launcher: str) -> str:
        return launcher

    def model_wrapper_cfg(self) -> dict[str, Any] | None:
        return dict(self.model_wrapper) if self.model_wrapper is not None else None
