"""``EmptyCacheHook``: give cached CUDA memory back at chosen moments."""

from __future__ import annotations

from typing import Any

from runner_core.contract import RunnerAPI
from runner_core.hooks import Hook, Priority


def _empty_cache() -> None:
    import torch

    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.empty_cache()


class EmptyCacheHook(Hook):
    """Call ``torch.cuda.empty_cache()`` before/after epochs or after iterations.

    Useful when another process shares the GPU or memory fragments; it slows
    training a little, so ``after_iter`` is off by default. Does nothing
    without CUDA. Acts in training, validation and test alike (MMEngine's
    mode-generic helpers).
    """

    priority: int | str = Priority.NORMAL

    def __init__(
        self, before_epoch: bool = False, after_epoch: bool = True, after_iter: bool = False
    ) -> None:
        self._do_before_epoch = before_epoch
        self._do_after_epoch = after_epoch
        self._do_after_iter = after_iter

    def _before_epoch(self, runner: RunnerAPI, mode: str = "train") -> None:
        if self._do_before_epoch:
            _empty_cache()

    def _after_epoch(self, runner: RunnerAPI, mode: str = "train") -> None:
        if self._do_after_epoch:
            _empty_cache()

    def _after_iter(
        self,
        runner: RunnerAPI,
        batch_idx: int,
        data_batch: Any = None,
        outputs: Any = None,
        mode: str = "train",
    ) -> None:
        if self._do_after_iter:
            _empty_cache()

    def __repr__(self) -> str:
        return (
            f"EmptyCacheHook(before_epoch={self._do_before_epoch}, "
            f"after_epoch={self._do_after_epoch}, after_iter={self._do_after_iter})"
        )
