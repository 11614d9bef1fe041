"""``mmengine.model.wrappers``'s names: the data-parallel wrappers and ``is_model_wrapper``.

The wrappers themselves live in ``runner_core.distributed.model_wrappers``
(with the launcher and the collectives they need); this module gives them the
import path MMEngine code uses, loading them (and ``torch.distributed``) on
first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

__all__ = [
    "MMDistributedDataParallel",
    "MMFullyShardedDataParallel",
    "MMSeparateDistributedDataParallel",
    "is_model_wrapper",
]

if TYPE_CHECKING:  # pragma: no cover
    from ..distributed.mm_fsdp import MMFullyShardedDataParallel
    from ..distributed.model_wrappers import (
        MMDistributedDataParallel,
        MMSeparateDistributedDataParallel,
        is_model_wrapper,
    )
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            **dict.fromkeys(__all__, "runner_core.distributed.model_wrappers"),
            "MMFullyShardedDataParallel": "runner_core.distributed.mm_fsdp",
        },
        globals(),
    )
