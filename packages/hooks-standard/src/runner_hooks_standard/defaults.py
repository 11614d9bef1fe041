"""The ``standard`` default-hooks set: what every run gets unless the config says otherwise.

A config edits it per role: ``default_hooks=dict(logger=dict(interval=50))``
updates the logger's arguments, ``checkpoint=None`` removes a hook, and a
dict with a ``type`` replaces it. Priorities are the hooks' class attributes.
The types name this distribution (``runner-hooks-standard::LoggerHook``), so
another installed plugin offering a hook of the same name does not make the
standard set ambiguous.
"""

from __future__ import annotations

from typing import Any

_DIST = "runner-hooks-standard"


def standard_default_hooks() -> dict[str, dict[str, Any]]:
    """Role -> hook config of the standard set (a fresh dict on every call)."""
    return {
        "runtime_info": {"type": f"{_DIST}::RuntimeInfoHook"},  # VERY_HIGH
        "timer": {"type": f"{_DIST}::IterTimerHook"},  # NORMAL
        "sampler_seed": {"type": f"{_DIST}::DistSamplerSeedHook"},  # NORMAL
        "logger": {"type": f"{_DIST}::LoggerHook"},  # BELOW_NORMAL
        "param_scheduler": {"type": f"{_DIST}::ParamSchedulerHook"},  # LOW
        "checkpoint": {"type": f"{_DIST}::CheckpointHook", "interval": 1},  # VERY_LOW
        "check_invalid_loss": {"type": f"{_DIST}::CheckInvalidLossHook"},  # ABOVE_NORMAL
    }
