"""``SingleDeviceStrategy``: one process, no model wrapper."""

from __future__ import annotations

from .base import BaseStrategy


class SingleDeviceStrategy(BaseStrategy):
    """Train in this process alone (MMEngine's default outside a distributed launch).

    Under torchrun too it starts no process group, as MMEngine's: each process
    then runs on its own, as rank 0.
    """

    def runner_launcher(self, launcher: str) -> str:
        return "none"
