"""MMEngine's ``mmengine.runner.checkpoint`` import path, which downstream scripts import
``load_checkpoint`` from; the code lives in :mod:`runner_core.checkpoint`."""

from __future__ import annotations

from ..checkpoint import (
    _load_checkpoint,
    _load_checkpoint_to_model,
    _load_checkpoint_with_prefix,
    find_latest_checkpoint,
    get_state_dict,
    load_checkpoint,
    load_state_dict,
    save_checkpoint,
    weights_to_cpu,
)

__all__ = [
    "_load_checkpoint",
    "_load_checkpoint_to_model",
    "_load_checkpoint_with_prefix",
    "find_latest_checkpoint",
    "get_state_dict",
    "load_checkpoint",
    "load_state_dict",
    "save_checkpoint",
    "weights_to_cpu",
]
