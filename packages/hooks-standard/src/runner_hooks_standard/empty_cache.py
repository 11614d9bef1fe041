"""``EmptyCacheHook``: give cached CUDA memory back at chosen moments."""

from __future__ import annotations

from runner_core.hooks import Hook, Priority


def _empty_cache() -> None:
    import torch

    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.empty_cache()


class EmptyCacheHook(Hook):
    """Call ``torch.cuda.empty_cache()`` before/after epochs or after iterations.

    Useful when another process shares the GPU or memory fragments; it slows
    training a little, so ``after_iter`` is off by default. Does nothing
    without CUDA.
    """

    priority = Priority.NORMAL

    def __init__(
        self, before_epoch: bool = False, after_epoch: bool = True, after_iter: bool = False
    ) -> None:
        self._before_epoch = before_epoch
        self._after_epoch = after_epoch
        self._after_iter = after_iter

    def _epoch_start(self) -> None:
        if self._before_epoch:
            _empty_cache()

    def _epoch_end(self) -> None:
        if self._after_epoch:
            _empty_cache()

    def _iter_end(self) -> None:
        if self._after_iter:
            _empty_cache()

    def before_train_epoch(self) -> None:
        self._epoch_start()

    def before_val_epoch(self) -> None:
        self._epoch_start()

    def before_test_epoch(self) -> None:
        self._epoch_start()

    def after_train_epoch(self) -> None:
        self._epoch_end()

    def after_val_epoch(self) -> None:
        self._epoch_end()

    def after_test_epoch(self) -> None:
        self._epoch_end()

    def after_train_iter(self) -> None:
        self._iter_end()

    def after_val_iter(self) -> None:
        self._iter_end()

    def after_test_iter(self) -> None:
        self._iter_end()

    def __repr__(self) -> str:
        return (
            f"EmptyCacheHook(before_epoch={self._before_epoch}, after_epoch={self._after_epoch}, "
            f"after_iter={self._after_iter})"
        )
