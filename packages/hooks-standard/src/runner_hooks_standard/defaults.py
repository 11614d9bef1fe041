"""The ``standard`` default-hooks set: what every run gets unless the config says otherwise.

A config edits it per role: ``default_hooks=dict(logger=dict(interval=50))``
updates the logger's arguments, ``checkpoint=None`` removes a hook, and a
dict with a ``type`` replaces it. Priorities are the hooks' class attributes.
"""

from __future__ import annotations

from typing import Any


def standard_default_hooks() -> dict[str, dict[str, Any]]:
    """Role -> hook config of the standard set (a fresh dict on every call)."""
    return {
        "runtime_info": {"type": "RuntimeInfoHook"},  # VERY_HIGH
        "timer": {"type": "IterTimerHook"},  # NORMAL
        "sampler_seed": {"type": "DistSamplerSeedHook"},  # NORMAL
        "logger": {"type": "LoggerHook"},  # BELOW_NORMAL
        "param_scheduler": {"type": "ParamSchedulerHook"},  # LOW
        "checkpoint": {"type": "CheckpointHook", "interval": 1},  # VERY_LOW
        "check_invalid_loss": {"type": "CheckInvalidLossHook"},  # ABOVE_NORMAL
    }
