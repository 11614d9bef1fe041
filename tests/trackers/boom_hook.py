"""A hook that makes a run fail (or look Ctrl-C'd) at iteration 5, for the tracker tests."""

from __future__ import annotations

from typing import Any

from runner_core.hooks import Hook
from runner_core.registry import HOOKS


@HOOKS.register_module(force=True)
class Boom(Hook):
    def __init__(self, kind: str = "RuntimeError") -> None:
        self.kind = {"RuntimeError": RuntimeError, "KeyboardInterrupt": KeyboardInterrupt}[kind]

    def after_train_iter(self, runner: Any) -> None:
        if runner.iter == 5:
            raise self.kind("boom")
