"""``mmengine.utils.dl_utils``'s names: torch-side helpers, loaded (with torch) on first use.

``import runner_core.utils.dl_utils`` imports nothing heavy; each name loads
its module when it is first read. MMEngine's ``load_url`` is left out on
purpose: runner does not download weights (use ``torch.hub.load_state_dict_from_url``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...lazy import lazy_exports

_LAZY = {
    "TORCH_VERSION": ".torch_ops",
    "TimeCounter": ".time_counter",
    "collect_env": ".environment",
    "has_batch_norm": ".misc",
    "is_jit_tracing": ".torch_ops",
    "is_norm": ".misc",
    "mmcv_full_available": ".misc",
    "set_multi_processing": ".setup_env",
    "tensor2imgs": ".misc",
    "torch_meshgrid": ".torch_ops",
}

__all__ = list(_LAZY)

if TYPE_CHECKING:  # pragma: no cover  (each name from the module _LAZY loads it from)
    from .environment import collect_env as collect_env
    from .misc import has_batch_norm as has_batch_norm
    from .misc import is_norm as is_norm
    from .misc import mmcv_full_available as mmcv_full_available
    from .misc import tensor2imgs as tensor2imgs
    from .setup_env import set_multi_processing as set_multi_processing
    from .time_counter import TimeCounter as TimeCounter
    from .torch_ops import TORCH_VERSION as TORCH_VERSION
    from .torch_ops import is_jit_tracing as is_jit_tracing
    from .torch_ops import torch_meshgrid as torch_meshgrid
else:  # hidden from type checkers, so a misspelled import is an error, not Any
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
