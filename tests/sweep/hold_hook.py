"""A hook that parks a sweep worker inside its trial, so a test can kill it there.

Active only in a process whose environment has ``SWEEP_TEST_HOLD`` (a file
path): at the start of training it writes that file, then waits: forever, or
with ``SWEEP_TEST_RELEASE`` (another path) until that file exists.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from runner_core.hooks import Hook
from runner_core.registry import HOOKS


@HOOKS.register_module(force=True)
class HoldHook(Hook):
    def before_train(self, runner: Any) -> None:
        marker = os.environ.get("SWEEP_TEST_HOLD")
        if marker:
            Path(marker).write_text(str(runner.work_dir))
            release = os.environ.get("SWEEP_TEST_RELEASE")
            if not release:
                threading.Event().wait()  # until the test kills this process
            while not Path(release).exists():  # until the test lets training go on
                threading.Event().wait(0.05)
