"""MMEngine's ``mmengine.model.base_module`` import path; the classes live in
:mod:`runner_core.model.base_model`."""

from __future__ import annotations

from .base_model import BaseModule, ModuleDict, ModuleList, Sequential

__all__ = ["BaseModule", "ModuleDict", "ModuleList", "Sequential"]
