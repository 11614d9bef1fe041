"""MMEngine's ``mmengine.runner.activation_checkpointing`` import path; the code lives in
:mod:`runner_core.model.activation_checkpointing`."""

from __future__ import annotations

from ..model.activation_checkpointing import turn_on_activation_checkpointing

__all__ = ["turn_on_activation_checkpointing"]
