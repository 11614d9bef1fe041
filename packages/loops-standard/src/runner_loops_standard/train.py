"""The training loops: by epoch and by iteration.

Both call the hook points in MMEngine's order, count completed epochs and
iterations (``runner.epoch``/``runner.iter`` grow right after
``after_train_epoch``/``after_train_iter``), validate on schedule, and can
resume in the middle of an epoch exactly: the sampler starts at the next
unseen sample and the random streams are restored at the moment that matches
the checkpoint.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from runner_core.loop import BaseLoop

from .resume import iter_from, set_epoch


class _TrainLoop(BaseLoop):
    mode = "train"
    #: whether epochs are the loop's unit (hooks read it to pick a default)
    by_epoch = True

    def __init__(
        self,
        runner: Any,
        dataloader: Any,
        val_begin: int,
        val_interval: int,
        dynamic_intervals: Sequence[tuple[int, int]] | None,
    ) -> None:
        super().__init__(runner, dataloader)
        self._epoch = 0
        self._iter = 0
        self._resume_batch = 0
        # (epochs done, iters done, batches done in the epoch) as a checkpoint
        # taken right now should record them
        self._pos = (0, 0, 0)
        self.val_begin = val_begin
        self.val_interval = val_interval
        self.stop_training = False
        milestones, intervals = [0], [val_interval]
        for milestone, interval in sorted(dynamic_intervals or []):
            milestones.append(milestone)
            intervals.append(interval)
        self._dynamic = (milestones, intervals)

    @property
    def epoch(self) -> int:
        return self._epoch

    @property
    def iter(self) -> int:
        return self._iter

    @property
    def max_epochs(self) -> int:
        return self._max_epochs

    @property
    def max_iters(self) -> int:
        return self._max_iters

    def _update_val_interval(self, progress: int) -> None:
        milestones, intervals = self._dynamic
        self.val_interval = intervals[bisect.bisect(milestones, progress) - 1]

    def _should_validate(self, progress: int, last: int) -> bool:
        return (
            self.runner._val_dataloader is not None
            and progress >= self.val_begin
            and (progress % self.val_interval == 0 or progress == last)
        )

    def _run_batches(self, it: Any, start: int) -> None:
        """Train on every batch of ``it``; ``start`` is the first batch index."""
        runner = self.runner
        # ``points.<name>`` is the hook point itself (arguments in spec order),
        # looked up each time so a hook registered mid-run is seen
        points = runner.hooks.points
        model = runner.model
        optim_wrapper = runner.optim_wrapper
        checks_each_iter = type(self)._stop_inside_epoch is not _TrainLoop._stop_inside_epoch
        for idx, data_batch in enumerate(it, start):
            points.before_train_iter(runner, idx, data_batch)
            outputs = model.train_step(data_batch, optim_wrapper=optim_wrapper)
            self._pos = (self._epoch, self._iter + 1, idx + 1)
            points.after_train_iter(runner, idx, data_batch, outputs)
            self._iter += 1
            if checks_each_iter and self._stop_inside_epoch():
                break

    def _stop_inside_epoch(self) -> bool:
        return False

    def state_dict(self) -> dict[str, int]:
        epoch, iters, batch = self._pos
        return {"epoch": epoch, "iter": iters, "batch_in_epoch": batch}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self._epoch = int(state["epoch"])
        self._iter = int(state["iter"])
        self._resume_batch = int(state.get("batch_in_epoch", 0))
        self._pos = (self._epoch, self._iter, self._resume_batch)


class EpochBasedTrainLoop(_TrainLoop):
    """Train for ``max_epochs`` passes over the data.

    Validation runs after epoch ``e`` when ``e >= val_begin`` and ``e`` is a
    multiple of ``val_interval`` (or the last epoch); ``dynamic_intervals``
    ``[(epoch, interval), ...]`` changes the interval from those epochs on.
    """

    def __init__(
        self,
        runner: Any,
        dataloader: Any,
        max_epochs: int,
        val_begin: int = 1,
        val_interval: int = 1,
        dynamic_intervals: Sequence[tuple[int, int]] | None = None,
    ) -> None:
        super().__init__(runner, dataloader, val_begin, val_interval, dynamic_intervals)
        if int(max_epochs) != max_epochs or max_epochs < 1:
            raise ValueError(
                f"train_cfg.max_epochs must be a positive integer, got {max_epochs!r}."
            )
        self._max_epochs = int(max_epochs)
        self._max_iters = self._max_epochs * len(self.dataloader)

    def run(self) -> Any:
        runner = self.runner
        runner.call_hooks("before_train")
        while self._epoch < self._max_epochs and not self.stop_training:
            self.run_epoch()
            self._update_val_interval(self._epoch)
            if self._should_validate(self._epoch, self._max_epochs):
                runner.run_validation()
        runner.call_hooks("after_train")
        return runner.model

    def run_epoch(self) -> None:
        """One epoch: before_train_epoch, every batch, after_train_epoch."""
        runner = self.runner
        start, self._resume_batch = self._resume_batch, 0
        if start == 0:
            runner.restore_pending_rng()
        runner.call_hooks("before_train_epoch")
        runner.model.train()
        # the loop sets the shuffle epoch itself: exact resume must not depend on a hook
        set_epoch(self.dataloader, self._epoch)
        it = iter_from(self.dataloader, start)
        if start:
            runner.restore_pending_rng()
        self._run_batches(it, start)
        self._pos = (self._epoch + 1, self._iter, 0)
        runner.call_hooks("after_train_epoch")
        self._epoch += 1


class IterBasedTrainLoop(_TrainLoop):
    """Train for ``max_iters`` iterations, cycling the data loader as needed.

    The whole run is one "epoch" for the hooks (``before_train_epoch`` and
    ``after_train_epoch`` fire once); passes over the data are counted
    separately so each pass shuffles differently. Validation runs after
    iteration ``i`` when ``i >= val_begin`` and ``i`` is a multiple of
    ``val_interval`` (or the last one).
    """

    by_epoch = False

    def __init__(
        self,
        runner: Any,
        dataloader: Any,
        max_iters: int,
        val_begin: int = 1,
        val_interval: int = 1000,
        dynamic_intervals: Sequence[tuple[int, int]] | None = None,
    ) -> None:
        super().__init__(runner, dataloader, val_begin, val_interval, dynamic_intervals)
        if int(max_iters) != max_iters or max_iters < 1:
            raise ValueError(f"train_cfg.max_iters must be a positive integer, got {max_iters!r}.")
        self._max_iters = int(max_iters)
        self._max_epochs = 1
        try:
            self._epoch_length: int | None = len(self.dataloader)
        except TypeError:  # an infinite sampler
            self._epoch_length = None

    def run(self) -> Any:
        runner = self.runner
        runner.call_hooks("before_train")
        if self._iter == 0:
            runner.restore_pending_rng()
        runner.call_hooks("before_train_epoch")
        runner.model.train()
        length = self._epoch_length
        data_epoch, start = divmod(self._iter, length) if length else (0, self._iter)
        resume_mid = self._iter > 0 and start > 0
        if self._iter > 0 and not resume_mid:
            runner.restore_pending_rng()
        while self._iter < self._max_iters and not self.stop_training:
            set_epoch(self.dataloader, data_epoch)
            it = iter_from(self.dataloader, start)
            if resume_mid:
                runner.restore_pending_rng()
                resume_mid = False
            self._run_batches(it, self._iter)
            data_epoch, start = data_epoch + 1, 0
        self._pos = (1, self._iter, 0)
        runner.call_hooks("after_train_epoch")
        runner.call_hooks("after_train")
        return runner.model

    def _stop_inside_epoch(self) -> bool:
        progress = self._iter
        self._update_val_interval(progress)
        if self._should_validate(progress, self._max_iters):
            self.runner.run_validation()
            self.runner.model.train()
        return progress >= self._max_iters or self.stop_training

    def state_dict(self) -> dict[str, int]:
        _, iters, _ = self._pos
        return {"epoch": 0, "iter": iters, "batch_in_epoch": 0}
