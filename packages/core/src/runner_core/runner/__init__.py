"""The Runner, and what ``mmengine.runner`` re-exports beside it.

MMEngine users import seeding, autocast, checkpoint helpers, ``BaseLoop`` and
``Priority`` from ``mmengine.runner``; the same imports work from here (the
non-Runner names load on first access). The standard loops live in the
``runner_loops_standard`` plugin package, which the core never imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports
from ..logging.log_processor import LogProcessor
from .runner import Runner

_LAZY = {
    "FlexibleRunner": "runner_core.runner.flexible_runner",
    "set_random_seed": "runner_core.runner.randomness",
    "autocast": "runner_core.runner.amp",
    "checkpoint_save_options": "runner_core.checkpoint.save_options",
    "BaseLoop": "runner_core.loop",
    "Priority": "runner_core.hooks",
    "get_priority": "runner_core.hooks",
    "turn_on_activation_checkpointing": "runner_core.model.activation_checkpointing",
    **dict.fromkeys(
        [
            "find_latest_checkpoint",
            "load_checkpoint",
            "save_checkpoint",
            "get_state_dict",
            "weights_to_cpu",
            "load_state_dict",
        ],
        "runner_core.checkpoint",
    ),
}

__all__ = [
    "BaseLoop",
    "FlexibleRunner",
    "LogProcessor",
    "Priority",
    "Runner",
    "autocast",
    "checkpoint_save_options",
    "find_latest_checkpoint",
    "get_priority",
    "get_state_dict",
    "load_checkpoint",
    "load_state_dict",
    "save_checkpoint",
    "set_random_seed",
    "turn_on_activation_checkpointing",
    "weights_to_cpu",
]

if TYPE_CHECKING:  # pragma: no cover
    from ..checkpoint import (
        find_latest_checkpoint,
        get_state_dict,
        load_checkpoint,
        load_state_dict,
        save_checkpoint,
        weights_to_cpu,
    )
    from ..checkpoint.save_options import checkpoint_save_options
    from ..hooks import Priority, get_priority
    from ..loop import BaseLoop
    from ..model.activation_checkpointing import turn_on_activation_checkpointing
    from .amp import autocast
    from .flexible_runner import FlexibleRunner
    from .randomness import set_random_seed
else:
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
