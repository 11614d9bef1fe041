"""A hook that makes a run fail (or look Ctrl-C'd or preempted) at iteration 5, for the tracker tests."""

from __future__ import annotations

import signal
from typing import Any

from runner_core.hooks import Hook
from runner_core.registry import HOOKS
from runner_core.runner.preemption import TrainingPreempted


@HOOKS.register_module(force=True)
class Boom(Hook):
    def __init__(self, kind: str = "RuntimeError") -> None:
        self.kind = kind

    def after_train_iter(self, runner: Any) -> None:
        if runner.iter == 5:
            if self.kind == "TrainingPreempted":  # as the preemption hook stops a run
                raise TrainingPreempted("SIGTERM received: boom", signal.SIGTERM, None)
            raise {"RuntimeError": RuntimeError, "KeyboardInterrupt": KeyboardInterrupt}[self.kind](
                "boom"
            )
