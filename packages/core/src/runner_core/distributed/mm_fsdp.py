"""``MMFullyShardedDataParallel``: MMEngine's FSDP wrapper name and arguments, on our FSDP2 wrapper.

MMEngine's class subclasses torch's FSDP1 ``FullyShardedDataParallel``; scripts
construct it with FSDP1 arguments (``sharding_strategy``, ``auto_wrap_policy``,
``cpu_offload``, ...). Here it is our ``fully_shard`` wrapper, with those
arguments translated as ``FSDPStrategy`` translates them
(:func:`runner_core.strategies.fsdp.fsdp1_options`), so the Python class and
``model_wrapper_cfg=dict(type='MMFullyShardedDataParallel', ...)`` build the same.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from ..strategies.fsdp import fsdp1_options
from .model_wrappers import FullyShardedDataParallel, _forward


class MMFullyShardedDataParallel(FullyShardedDataParallel):
    """Our FSDP2 wrapper, constructed with MMEngine's ``MMFullyShardedDataParallel`` arguments.

    ``sharding_strategy`` ``'FULL_SHARD'`` / ``'SHARD_GRAD_OP'`` (or the enum),
    ``auto_wrap_policy`` (torch's size-based / transformer policies or
    ``ModuleWrapPolicy``, as a name, dict, partial or object), ``cpu_offload``
    and ``mixed_precision`` (dict or ``MixedPrecision``) are translated;
    ``backward_prefetch``, ``use_orig_params`` and the other FSDP1 tuning options
    are accepted and have no effect (FSDP2 does these itself). ``process_group``,
    ``param_init_fn``, ``NO_SHARD`` / hybrid sharding and custom policy functions
    are refused with a message naming what to use. Our wrapper's own arguments
    (``wrap_modules``, ``reshard_after_forward``, ``device_mesh``, ...) are
    accepted too.
    """

    def __init__(
        self,
        module: nn.Module,
        process_group: Any = None,
        sharding_strategy: Any = None,
        cpu_offload: Any = None,
        auto_wrap_policy: Any = None,
        backward_prefetch: Any = None,
        mixed_precision: Any = None,
        param_init_fn: Any = None,
        use_orig_params: bool = True,
        **kwargs: Any,
    ) -> None:
        options = {
            "process_group": process_group,
            "sharding_strategy": sharding_strategy,
            "cpu_offload": cpu_offload,
            "auto_wrap_policy": auto_wrap_policy,
            "backward_prefetch": backward_prefetch,
            "mixed_precision": mixed_precision,
            "param_init_fn": param_init_fn,
            "use_orig_params": use_orig_params,
            **kwargs,
        }
        ours = fsdp1_options(
            options,
            where="MMFullyShardedDataParallel",
            replicate="model_wrapper_cfg=dict(type='MMDistributedDataParallel')",
            stacklevel=3,  # the caller of this constructor
        )
        super().__init__(module, **ours)

    def _run_forward(self, data: Any, mode: str) -> Any:
        """Call the sharded model with preprocessed ``data`` unpacked (MMEngine's method, which a
        subclass overriding ``train_step`` calls)."""
        return _forward(self, self.module, data, mode)
