"""MMEngine's ``mmengine.dataset.utils`` import path: the collate functions and
``worker_init_fn``, which live with the data loader (:mod:`runner_core.data`)."""

from __future__ import annotations

from ..data.collate import COLLATE_FUNCTIONS, default_collate, pseudo_collate
from ..data.worker_init import worker_init_fn

__all__ = ["COLLATE_FUNCTIONS", "default_collate", "pseudo_collate", "worker_init_fn"]
