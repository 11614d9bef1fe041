"""A hook that records what the loops did, for the loop tests."""

from __future__ import annotations

from typing import Any

from runner_core.hooks import Hook


class Record(Hook):
    """Records what the loops did: validations (at which progress), steps, output dtypes."""

    def __init__(self) -> None:
        self.validated_at: list[tuple[int, int]] = []
        self.train_iters = 0
        self.val_dtypes: set[Any] = set()
        self.test_dtypes: set[Any] = set()

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.train_iters += 1

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.val_dtypes.add(outputs["pred"].dtype)

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.test_dtypes.add(outputs["pred"].dtype)

    def after_val_epoch(self, runner, metrics=None):
        self.validated_at.append((runner.epoch, runner.iter))
