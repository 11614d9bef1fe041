"""A transform registered only when custom_imports imports this module (tests/core/data)."""

from __future__ import annotations

from runner_core.registry import TRANSFORMS


@TRANSFORMS.register_module(force=True)
class SpawnJitter:
    """Adds 1 to the sample: which tells that the registered class ran."""

    def __call__(self, x):
        return x + 1
