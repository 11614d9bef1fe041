"""Hooks: the hook points (pluggy hookspecs), the Hook base class, priorities."""

from __future__ import annotations

from .checkpoint_use import copies_checkpoint
from .hook import Hook, Priority, get_priority
from .manager import HookManager, HookPoints
from .specs import hook_point_names

__all__ = [
    "Hook",
    "HookManager",
    "HookPoints",
    "Priority",
    "copies_checkpoint",
    "get_priority",
    "hook_point_names",
]
