"""``IterTimerHook``: how long each iteration and its data loading take, and the ETA."""

from __future__ import annotations

import time
from typing import Any

from runner_core.contract import RunnerAPI
from runner_core.hooks import Hook, Priority
from runner_core.logging.log_processor import loop_length


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

    #: MMEngine's IterTimerHook works through these helpers; a subclass written for it
    #: overrides one (MMagic's ``GenIterTimerHook`` replaces ``_after_iter``)
    _MMENGINE_HELPERS = ("_before_epoch", "_after_epoch", "_before_iter", "_after_iter")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A subclass that overrides one of MMEngine's helpers gets MMEngine's structure:
        each point it does not define itself calls the helper with its mode, as there."""
        if any(h in vars(cls) for h in IterTimerHook._MMENGINE_HELPERS):
            mine = vars(IterTimerHook)
            for point in _HELPED_POINTS:
                if getattr(cls, point) is mine[point]:
                    setattr(cls, point, vars(Hook)[point])
        super().__init_subclass__(**kwargs)

    def __init__(self) -> None:
        # MMEngine's attributes, which subclasses written for it read and write
        self.t = time.time()
        self.time_sec_tot = 0.0
        self.time_sec_test_val = 0.0
        self.start_iter = 0
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
        self.start_iter = runner.iter
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
        self._eval_iter_done(runner, "val", batch_idx)

    def before_test_iter(self, runner: RunnerAPI, batch_idx: int, data_batch: Any = None) -> None:
        self._eval_iter_start(runner, "test")

    def after_test_iter(
        self,
        runner: RunnerAPI,
        batch_idx: int,
        data_batch: Any = None,
        outputs: Any = None,
    ) -> None:
        self._eval_iter_done(runner, "test", batch_idx)

    def _eval_iter_start(self, runner: RunnerAPI, mode: str) -> None:
        now = self._clock()
        sinks = self._eval_sinks or self._bind_eval(runner, mode)
        sinks[0](now - self._last)

    def _eval_iter_done(self, runner: RunnerAPI, mode: str, batch_idx: int) -> None:
        now = self._clock()
        sinks = self._eval_sinks or self._bind_eval(runner, mode)
        spent = now - self._last
        sinks[1](spent)
        self._last = now
        # the pass's ETA in the hub's 'eta', as MMEngine's hook publishes it: its mean
        # iteration time so far times the batches left
        self.time_sec_test_val = (self.time_sec_test_val if batch_idx else 0.0) + spent
        runner.message_hub.runtime_info["eta"] = max(0.0, self._eval_eta(runner, mode, batch_idx))

    def _eval_eta(self, runner: Any, mode: str, batch_idx: int) -> float:
        """MMEngine's ETA of a validation or test pass: its mean iteration time so far
        (``time_sec_test_val`` over the batches done) times the batches left."""
        length = loop_length(getattr(runner, f"{mode}_loop", None)) or 0
        return self.time_sec_test_val / (batch_idx + 1) * (length - batch_idx - 1)

    # -- MMEngine's helpers, for subclasses written for it (see __init_subclass__) -------
    def _before_epoch(self, runner: Any, mode: str = "train") -> None:
        self.t = time.time()
        self._last = self._clock()  # a standard point reached through super() reads it

    def _after_epoch(self, runner: Any, mode: str = "train") -> None:
        self.time_sec_test_val = 0.0  # where MMEngine resets it

    def _before_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, mode: str = "train"
    ) -> None:
        runner.message_hub.update_scalar(f"{mode}/data_time", time.time() - self.t)

    def _after_iter(
        self,
        runner: Any,
        batch_idx: int,
        data_batch: Any = None,
        outputs: Any = None,
        mode: str = "train",
    ) -> None:
        hub = runner.message_hub
        spent = time.time() - self.t
        hub.update_scalar(f"{mode}/time", spent)
        self.t = time.time()
        self._last = self._clock()
        if mode == "train":
            self.time_sec_tot += spent
            mean = self.time_sec_tot / (runner.iter - self.start_iter + 1)
            hub.update_info("eta", mean * (runner.max_iters - runner.iter - 1))
        else:
            self.time_sec_test_val += spent
            hub.update_info("eta", self._eval_eta(runner, mode, batch_idx))

    def after_val(self, runner: RunnerAPI) -> None:
        # validation inside training must not count as the next train iteration's data time
        self._last = self._clock()
        self._eval_sinks = None

    def after_test(self, runner: RunnerAPI) -> None:
        self._eval_sinks = None

    def __repr__(self) -> str:
        return "IterTimerHook()"


#: the points MMEngine's IterTimerHook serves through its helpers
_HELPED_POINTS = tuple(
    f"{when}_{mode}_{what}"
    for mode in ("train", "val", "test")
    for when, what in (("before", "epoch"), ("before", "iter"), ("after", "iter"))
)  # (the after_*_epoch points are Hook's own, which call _after_epoch)
