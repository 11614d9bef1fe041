"""``IterTimerHook``: how long each iteration and its data loading take, and the ETA."""

from __future__ import annotations

import time
from typing import Any

from runner_core.contract import RunnerAPI
from runner_core.hooks import Hook, Priority


class IterTimerHook(Hook):
    """Publish ``<mode>/data_time`` and ``<mode>/time`` per iteration, and the ETA.

    ``data_time`` runs from the end of the previous iteration (or the start
    of the epoch) to ``before_*_iter``: the time spent waiting for the data
    loader. ``time`` is the whole iteration, end to end. The training ETA
    (``message_hub`` info ``'eta'``, seconds) is the mean iteration time of
    this session (the first, warm-up iteration left out once there are
    others) times the iterations left.
    """

    priority: int | str = Priority.NORMAL

    def __init__(self) -> None:
        self._clock = time.perf_counter
        self._last = 0.0  # end of the previous iteration
        self._total = 0.0  # train time summed over this session (first iteration excluded)
        self._count = 0  # train iterations done in this session
        # the train buffers' appends and the info dict, bound by _bind
        self._record_data_time: Any = None
        self._record_time: Any = None
        self._info: dict[str, Any] = {}
        self._eval_sinks: tuple[Any, Any] | None = None  # set per validation / test pass

    def _begin_epoch(self) -> None:
        self._last = self._clock()

    def before_train_epoch(self, runner: RunnerAPI) -> None:
        self._begin_epoch()

    def before_val_epoch(self, runner: RunnerAPI) -> None:
        self._bind_eval(runner, "val")
        self._begin_epoch()

    def before_test_epoch(self, runner: RunnerAPI) -> None:
        self._bind_eval(runner, "test")
        self._begin_epoch()

    def _bind_eval(self, runner: RunnerAPI, mode: str) -> tuple[Any, Any]:
        """The ``<mode>/data_time`` and ``<mode>/time`` buffers' appends, looked up once per pass."""
        hub = runner.message_hub
        sinks = (hub.history(f"{mode}/data_time").append, hub.history(f"{mode}/time").append)
        self._eval_sinks = sinks
        return sinks

    # -- train ------------------------------------------------------------------------
    def _bind(self, runner: RunnerAPI) -> None:
        """Look the train buffers' appends and the info dict up, once per run."""
        hub = runner.message_hub
        max_iters = runner.max_iters
        self._left = max_iters - runner.iter if max_iters else 0  # iterations left
        self._record_data_time = hub.history("train/data_time").append
        self._record_time = hub.history("train/time").append
        self._info = hub.runtime_info

    def before_train(self, runner: RunnerAPI) -> None:
        self._bind(runner)

    def before_train_iter(self, runner: RunnerAPI, batch_idx: int, data_batch: Any = None) -> None:
        if self._record_data_time is None:  # before_train was not called
            self._bind(runner)
        self._record_data_time(self._clock() - self._last)

    def after_train_iter(
        self,
        runner: RunnerAPI,
        batch_idx: int,
        data_batch: Any = None,
        outputs: Any = None,
    ) -> None:
        now = self._clock()
        spent = now - self._last
        self._last = now
        if self._record_time is None:  # before_train was not called
            self._bind(runner)
        self._record_time(spent)
        count = self._count  # train iterations before this one in this session
        if count:  # the first (warm-up) iteration is left out of the mean once there are others
            self._total += spent
            mean = self._total / count
        else:
            mean = spent
        self._count = count + 1
        left = self._left = self._left - 1
        self._info["eta"] = mean * left if left > 0 else 0.0

    # -- val / test -------------------------------------------------------------------
    def before_val_iter(self, runner: RunnerAPI, batch_idx: int, data_batch: Any = None) -> None:
        self._eval_iter_start(runner, "val")

    def after_val_iter(
        self,
        runner: RunnerAPI,
        batch_idx: int,
        data_batch: Any = None,
        outputs: Any = None,
    ) -> None:
        self._eval_iter_done(runner, "val")

    def before_test_iter(self, runner: RunnerAPI, batch_idx: int, data_batch: Any = None) -> None:
        self._eval_iter_start(runner, "test")

    def after_test_iter(
        self,
        runner: RunnerAPI,
        batch_idx: int,
        data_batch: Any = None,
        outputs: Any = None,
    ) -> None:
        self._eval_iter_done(runner, "test")

    def _eval_iter_start(self, runner: RunnerAPI, mode: str) -> None:
        now = self._clock()
        sinks = self._eval_sinks or self._bind_eval(runner, mode)
        sinks[0](now - self._last)

    def _eval_iter_done(self, runner: RunnerAPI, mode: str) -> None:
        now = self._clock()
        sinks = self._eval_sinks or self._bind_eval(runner, mode)
        sinks[1](now - self._last)
        self._last = now

    def after_val(self, runner: RunnerAPI) -> None:
        # validation inside training must not count as the next train iteration's data time
        self._last = self._clock()
        self._eval_sinks = None

    def after_test(self, runner: RunnerAPI) -> None:
        self._eval_sinks = None

    def __repr__(self) -> str:
        return "IterTimerHook()"
