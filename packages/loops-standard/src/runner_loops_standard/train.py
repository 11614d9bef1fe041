"""The training loops: by epoch and by iteration.

Both call the hook points in MMEngine's order, count completed epochs and
iterations (``runner.epoch``/``runner.iter`` grow right after
``after_train_epoch``/``after_train_iter``), validate on schedule, and resume
in the middle of an epoch exactly (see :meth:`BaseLoop.iter_batches`).

Extension points, as in MMEngine: ``EpochBasedTrainLoop.run_epoch()`` and
``run_iter(idx, data_batch)``, ``IterBasedTrainLoop.run_iter(data_batch)``.
Overriding one of them keeps validation, the fast hook path and exact resume,
which live in the methods around them.
"""

from __future__ import annotations

import bisect
import functools
import numbers
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from runner_core.contract import RunnerAPI
from runner_core.errors import (
    HINT_PREFIX,
    ConfigAssertionError,
    ConfigError,
    ConfigTypeError,
    RunnerError,
    add_note,
)
from runner_core.loop import BaseLoop
from runner_core.runner.resume import AUTO


class EmptyDataError(RunnerError, StopIteration):
    """A whole pass over ``train_dataloader`` gave no batch, so an iteration-based
    loop would start pass after pass forever.

    A ``StopIteration``, as MMEngine's loop raises there (and a ``RuntimeError``,
    as every runner error: what a ``StopIteration`` raised inside a generator
    turns into).
    """


def _empty_pass_error(loader: Any, data_pass: int, max_iters: int) -> EmptyDataError:
    """The error for a pass of ``loader`` that gave no batch, with its likely cause."""
    dataset = getattr(loader, "dataset", None)
    return EmptyDataError(
        f"train_dataloader gave no batch in data pass {data_pass + 1} (dataset "
        f"{type(dataset).__name__}, {_samples(loader)}; batch_size={getattr(loader, 'batch_size', None)}, "
        f"drop_last={getattr(loader, 'drop_last', None)}), so IterBasedTrainLoop cannot reach "
        f"max_iters={max_iters}: it would start pass after pass forever. Likely causes: "
        "drop_last=True with fewer samples per process than batch_size, an empty dataset, "
        "or an IterableDataset that yields nothing (or whose __iter__ returns an iterator "
        "already used up by an earlier pass). Set drop_last=False or a batch_size no larger "
        "than the dataset, and check that the dataset yields samples on every iter()."
    )


def _samples(loader: Any) -> str:
    """``'3 sample(s)'`` of a loader's dataset, for messages; ``'no len()'`` without one."""
    try:
        return f"{len(loader.dataset)} sample(s)"
    except (AttributeError, TypeError, NotImplementedError):
        return "no len()"


def _check_same_batches_on_every_rank(loader: Any) -> None:
    """Raise ConfigError on every rank when the ranks' epochs have different numbers of
    batches: the rank that runs out first stops taking part in the gradient all-reduce,
    and the others hang until the timeout or abort inside gloo/NCCL, naming nothing.
    One gather per ``train()``, nothing in a single process."""
    from runner_core.distributed import all_gather_object, get_world_size

    if get_world_size() < 2:
        return
    counts = all_gather_object(len(loader))
    if len(set(counts)) > 1:
        raise ConfigError(
            f"train_dataloader gives each rank a different number of batches per epoch "
            f"({', '.join(f'rank {r}: {n}' for r, n in enumerate(counts))}): a rank that "
            "runs out first stops taking part in the gradient all-reduce, and the others "
            "would hang or abort. Give every rank a dataset of the same length and a sampler "
            "that splits it evenly (DefaultSampler pads it so with round_up=True, its "
            "default)."
        )


def _positive_int(
    value: Any, key: str, minimum: int = 1, not_int: type[ConfigError] = ConfigTypeError
) -> int:
    """``value`` as an int >= ``minimum``, or a ConfigError naming ``key``.

    A value that is not a whole number raises ``not_int``: a TypeError by
    default, as MMEngine's arithmetic on it would; an AssertionError for the
    keys MMEngine asserts are ints (max_epochs, max_iters).
    """
    # numpy's ints and floats too (a sweep's np.arange), as MMEngine's int(x) == x takes them
    whole = isinstance(value, numbers.Integral) or (
        isinstance(value, numbers.Real) and float(value).is_integer()  # not nan or inf
    )
    if isinstance(value, bool) or not whole:
        raise not_int(
            f"{key} must be a whole number >= {minimum}, got {value!r} "
            f"({type(value).__name__}). Set it to an integer, e.g. {key.split('.')[-1]}={max(minimum, 1)}."
        )
    if value < minimum:
        raise ConfigError(f"{key} must be >= {minimum}, got {value!r}.")
    return int(value)


def _refuse_endless_sampler(loader: Any) -> None:
    """An endless sampler (``InfiniteSampler``) never ends an epoch of the standard
    ``run_epoch``: epoch 1 would run forever (MMEngine's does)."""
    from runner_core.data import is_endless

    try:
        len(loader)
    except TypeError:
        return  # no len() at all: the loop's own len() says so, in torch's words
    if is_endless(loader):
        raise ConfigError(
            "train_dataloader.sampler is an InfiniteSampler, whose stream of samples never "
            "ends, so epoch 1 of the epoch-based training loop would never finish. Use "
            "sampler=dict(type='DefaultSampler', shuffle=True) with by_epoch=True, or keep "
            "the InfiniteSampler with train_cfg=dict(by_epoch=False, max_iters=N) (or "
            "override run_epoch to end each epoch yourself)."
        )


def _dynamic_intervals(value: Any) -> list[tuple[int, int]]:
    if value is not None and (not isinstance(value, Sequence) or isinstance(value, str)):
        raise ConfigTypeError(
            f"train_cfg.dynamic_intervals must be a list of (milestone, interval) pairs, got "
            f"{value!r} ({type(value).__name__}). Example: dynamic_intervals=[(10, 2), (20, 1)]."
        )
    out = []
    for i, item in enumerate(value or []):
        if not isinstance(item, Sequence) or isinstance(item, str) or len(item) != 2:
            raise ConfigError(
                f"train_cfg.dynamic_intervals[{i}] must be a pair (milestone, interval), "
                f"got {item!r}. Example: dynamic_intervals=[(10, 2), (20, 1)]."
            )
        milestone = _positive_int(item[0], f"train_cfg.dynamic_intervals[{i}][0]", minimum=0)
        interval = _positive_int(item[1], f"train_cfg.dynamic_intervals[{i}][1]")
        out.append((milestone, interval))
    return sorted(out)


#: train_cfg's numbers and the rule each follows, the one place both the constructors
#: and ``check_cfg`` (``runner-cli config check``, which has no data) take it from
_NUMBER_RULES: dict[str, Callable[[Any], Any]] = {
    "val_begin": functools.partial(_positive_int, key="train_cfg.val_begin", minimum=0),
    "val_interval": functools.partial(_positive_int, key="train_cfg.val_interval"),
    "dynamic_intervals": _dynamic_intervals,
    # MMEngine asserts these are ints: an AssertionError for a value that is not
    "max_epochs": functools.partial(
        _positive_int, key="train_cfg.max_epochs", not_int=ConfigAssertionError
    ),
    "max_iters": functools.partial(
        _positive_int, key="train_cfg.max_iters", not_int=ConfigAssertionError
    ),
}


class BaseTrainLoop(BaseLoop):
    """What both training loops share: counters, position, validation schedule.

    ``stop_training`` may be set by a hook (early stopping): the loop ends
    after the current epoch (epoch-based) or iteration (iteration-based).
    """

    mode = "train"
    #: whether epochs are the loop's unit (hooks read it to pick a default)
    by_epoch = True
    _max_epochs: int
    _max_iters: int
    #: the train_cfg keys of ``_NUMBER_RULES`` this loop takes, in the order it checks them
    _number_keys: tuple[str, ...] = ("val_begin", "val_interval", "dynamic_intervals")

    @classmethod
    def check_cfg(cls, cfg: Mapping[str, Any]) -> None:
        """Raise the ConfigError building this loop from ``cfg`` would raise for its numbers
        (``max_epochs``, ``val_interval``, ...): the same rules, without building data, so
        ``runner-cli config check`` can say it before a run does. Keys ``cfg`` leaves out get
        the loop's defaults, which are valid."""
        for key in cls._number_keys:
            if key in cfg:
                _NUMBER_RULES[key](cfg[key])

    def __init__(
        self,
        runner: RunnerAPI,
        dataloader: Any,
        val_begin: int,
        val_interval: int,
        dynamic_intervals: Sequence[tuple[int, int]] | None,
    ) -> None:
        super().__init__(runner, dataloader)
        # the runner's hook points: a stable object, looked up once, called every iteration
        self._points = runner.hook_points
        self._epoch = 0
        self._iter = 0
        self._resume_batch = 0
        # (epochs done, iters done, batches done in the epoch) as a checkpoint
        # taken right now should record them
        self._pos = (0, 0, 0)
        # samples of the epoch consumed before its batch 0 as this run counts batches:
        # non-zero only in an epoch resumed from another world size
        self._offset = 0
        # the position load_state_dict got, until the next pass starts from it
        self._loaded: dict[str, Any] | None = None
        self.val_begin = _NUMBER_RULES["val_begin"](val_begin)
        self.val_interval = _NUMBER_RULES["val_interval"](val_interval)
        self.stop_training = False
        milestones, intervals = [0], [self.val_interval]
        for milestone, interval in _NUMBER_RULES["dynamic_intervals"](dynamic_intervals):
            milestones.append(milestone)
            intervals.append(interval)
        self.dynamic_milestones, self.dynamic_intervals = milestones, intervals

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

    def interval_at(self, progress: int) -> int:
        """The validation interval in force after ``progress`` epochs (iterations).

        As MMEngine counts it, a ``dynamic_intervals`` milestone ``m`` is in
        force from the end of ``m - 1`` on: ``[(4, 3)]`` with
        ``val_interval=2`` validates after epochs 2 and 3 (3 is a multiple of
        the new interval), then 6.
        """
        return self.dynamic_intervals[bisect.bisect(self.dynamic_milestones, progress + 1) - 1]

    def update_val_interval(self, progress: int) -> None:
        """Apply ``dynamic_intervals`` after ``progress`` epochs (iterations) are done."""
        self.val_interval = self.interval_at(progress)

    def should_validate(self, progress: int, last: int) -> bool:
        """Validation is due after ``progress`` epochs/iterations (of ``last``), with the
        interval in force then (``dynamic_intervals``), whatever the loop last applied."""
        return (
            progress >= self.val_begin
            and (progress % self.interval_at(progress) == 0 or progress == last)
            and self.runner.has_validation()
        )

    def validates_at(self, progress: int) -> bool:
        """Whether validation runs right after ``progress`` epochs (or iterations)."""
        return self.should_validate(
            progress, self._max_epochs if self.by_epoch else self._max_iters
        )

    def note_failed_step(self, exc: BaseException, idx: int) -> None:
        """Name the iteration, epoch and batch on an exception from a training step, with a
        hint at its likely cause where one is known (a forward that does not take the
        batch's keys, a loss without gradient)."""
        add_note(
            exc,
            f"Raised in train_step at iteration {self._iter + 1} "
            f"(epoch {self._epoch + 1}, batch {idx + 1}).",  # as the log line counts
        )
        from runner_core.model.step_hints import train_step_hint

        try:
            hint = train_step_hint(exc, self.runner.model)
        except Exception:  # a hint never replaces the user's own error
            hint = None
        if hint is not None:
            add_note(exc, f"{HINT_PREFIX}{hint}")

    def _samples_per_batch(self) -> int | None:
        """Samples one iteration consumes on all ranks together (None: unknown batch size)."""
        batch_size = getattr(self.dataloader, "batch_size", None)
        if not isinstance(batch_size, int):
            return None
        return batch_size * int(getattr(self.runner, "world_size", 1))

    def _dataset_length(self) -> int | None:
        """``len()`` of the training dataset (None: it has none)."""
        try:
            return int(len(self.dataloader.dataset))
        except (AttributeError, TypeError, NotImplementedError):
            return None

    def _dataset_changed(self, loaded: Mapping[str, Any], where: str) -> bool:
        """Whether the dataset a mid-pass position was saved in has another length now.

        The position (samples or batches into the pass's order) then points into
        an order of other samples: applied, it would skip some samples of the
        new dataset (or the whole pass). The pass restarts instead (as MMEngine
        restarts an epoch), with a warning. A checkpoint without ``dataset_length``
        (older runs, a dataset without ``len()``) is taken as the same dataset.
        """
        saved, now = loaded.get("dataset_length"), self._dataset_length()
        if saved is None or now is None or int(saved) == now:
            return False
        state = getattr(self.runner, "resume_state", None)  # a runner of a loop test may lack it
        resumed = getattr(state, "resumed_from", None)
        source = getattr(state, "source", None)
        if resumed is not None:
            named = str(resumed)  # the file itself, also for resume='auto'
        elif source is None or str(source) == AUTO:
            work_dir = getattr(self.runner, "work_dir", None)
            named = f"the newest checkpoint of {work_dir}" if work_dir else "the checkpoint"
        else:
            named = str(source)
        self.runner.logger.warning(
            "Resuming from %s: it was saved in the middle of %s of a training dataset of %d "
            "samples, and this run's training dataset has %d. The saved position does not "
            "fit the new dataset (resuming there would skip samples of it), so %s restarts "
            "from its first batch: samples the interrupted run already trained in it are "
            "trained again. Resume with the same dataset to continue exactly.",
            named,
            where,
            int(saved),
            now,
            where,
        )
        return True

    def state_dict(self) -> dict[str, Any]:
        epoch, iters, batch = self._pos
        if self._loaded is not None and self._pos == self._loaded["pos"]:
            return dict(self._loaded["state"])  # nothing ran since the resume
        state: dict[str, Any] = {"epoch": epoch, "iter": iters, "batch_in_epoch": batch}
        per = self._samples_per_batch()
        if per is not None:
            # the global position, so that another number of processes can continue from it
            state["world_size"] = int(getattr(self.runner, "world_size", 1))
            state["samples_in_epoch"] = self._offset + batch * per if batch else 0
        length = self._dataset_length() if batch else None
        if length is not None:  # what the position is a position in
            state["dataset_length"] = length
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self._epoch = int(state["epoch"])
        self._iter = int(state["iter"])
        self._resume_batch = int(state.get("batch_in_epoch", 0))
        self._pos = (self._epoch, self._iter, self._resume_batch)
        self._loaded = {"pos": self._pos, "state": dict(state)}

    def _resume_position(self) -> tuple[int, int | None]:
        """Where the next epoch starts: ``(batch index, global start)``, once.

        Resumed by as many processes as saved the position, each rank goes on
        in its own slice (global start None). Resumed by another number, the
        ranks' slices differ: see :meth:`_start_globally`.
        """
        start, self._resume_batch = self._resume_batch, 0
        loaded = self._loaded["state"] if self._loaded is not None else {}
        self._offset = 0
        if start > 0 and self._dataset_changed(loaded, f"epoch {self._epoch + 1}"):
            return 0, None
        samples, saved_world = loaded.get("samples_in_epoch"), loaded.get("world_size")
        per = self._samples_per_batch()
        if start <= 0 or samples is None or saved_world is None or per is None:
            return start, None
        samples = int(samples)
        if samples == start * per:  # same layout: each rank resumes in its own slice
            return start, None
        return self._start_globally(samples, int(saved_world), f"epoch {self._epoch + 1}")

    def _start_globally(self, samples: int, saved_world: int, where: str) -> tuple[int, int | None]:
        """``(batch index, global start)`` for a pass of the data (``where``, for the
        warning) that a run of ``saved_world`` processes left after ``samples``
        samples, all ranks together, when this run's ranks cannot go on in their
        own slices (another number of them, or another batch size).

        The samples are handed to the sampler, which skips that much of the
        pass's global order and splits the rest among this run's ranks (every
        sample of the pass trained once); the batch index is then only the
        count of whole new-size batches that covers, and ``_offset`` the rest.
        A sampler that cannot do that restarts the pass (samples repeat, none
        is skipped).
        """
        from runner_core.data.positions import can_start_globally

        per = self._samples_per_batch() or 1
        if not can_start_globally(self.dataloader):
            self.runner.logger.warning(
                "The checkpoint was saved by %d process(es) after %d samples of %s; this run "
                "has %d process(es) of batch %s, and its sampler (no set_global_start) cannot "
                "split the rest among them: %s restarts from its first batch, so those %d "
                "samples are trained again.",
                saved_world,
                samples,
                where,
                int(getattr(self.runner, "world_size", 1)),
                getattr(self.dataloader, "batch_size", None),
                where,
                samples,
            )
            return 0, None
        first = samples // per
        self._offset = samples - first * per
        return first, samples


class EpochBasedTrainLoop(BaseTrainLoop):
    """Train for ``max_epochs`` passes over the data.

    Validation runs after epoch ``e`` when ``e >= val_begin`` and ``e`` is a
    multiple of ``val_interval`` (or the last epoch); ``dynamic_intervals``
    ``[(epoch, interval), ...]`` changes the interval from those epochs on
    (from the end of the epoch before, as MMEngine does).
    """

    _number_keys = (*BaseTrainLoop._number_keys, "max_epochs")

    def __init__(
        self,
        runner: RunnerAPI,
        dataloader: Any,
        max_epochs: int,
        val_begin: int = 1,
        val_interval: int = 1,
        dynamic_intervals: Sequence[tuple[int, int]] | None = None,
    ) -> None:
        super().__init__(runner, dataloader, val_begin, val_interval, dynamic_intervals)
        self._max_epochs = _NUMBER_RULES["max_epochs"](max_epochs)
        if _replaces(self, EpochBasedTrainLoop, ("run", "run_epoch", "run_iter")):
            _follow_hook_calls(self, runner, epoch_ends=_epoch_done, iter_ends=_epoch_iter_done)
        if type(self).run_epoch is EpochBasedTrainLoop.run_epoch:
            # a subclass's own run_epoch may end its epochs itself, after N iterations
            _refuse_endless_sampler(self.dataloader)
        self._max_iters = self._max_epochs * len(self.dataloader)

    def run(self) -> Any:
        runner = self.runner
        self._warn_epoch_starts_over()
        if type(self).run_epoch is EpochBasedTrainLoop.run_epoch:  # the standard epochs
            loader = self.dataloader
            if self._max_iters == 0:  # runs, as MMEngine's: a run that trains nothing, said
                runner.logger.warning(
                    "train_dataloader gives no batch (%s, batch_size=%s, drop_last=%s): every "
                    "epoch of this run trains nothing. Set drop_last=False or a smaller "
                    "batch_size.",
                    _samples(loader),
                    getattr(loader, "batch_size", None),
                    getattr(loader, "drop_last", None),
                )
            _check_same_batches_on_every_rank(loader)
        runner.call_hook("before_train")
        while self._epoch < self._max_epochs and not self.stop_training:
            self.run_epoch()
            self.update_val_interval(self._epoch)
            if self.should_validate(self._epoch, self._max_epochs):
                runner.run_validation()
                # MMEngine's mode: eval until run_epoch's model.train(), so hooks before
                # it (before_train_epoch, after_train, after_run) and the model returned
                # after a final validation see the model as validation left it
                runner.model.eval()
        runner.call_hook("after_train")
        return runner.model

    def _warn_epoch_starts_over(self) -> None:
        """``train()`` again after a call that failed mid-epoch (a notebook's next cell)
        starts that epoch over, as MMEngine does: say so, and that a resume goes on from the
        last checkpoint instead."""
        epoch, _, batches = self._pos
        if self._resume_batch:
            return
        if batches and epoch == self._epoch:
            stopped = f"in epoch {epoch + 1} after {batches} batch(es)"
        elif epoch == self._epoch + 1:  # the epoch's batches done, its end hooks failed
            stopped = f"at the end of epoch {self._epoch + 1} (its after_train_epoch hooks)"
        else:
            return
        self.runner.logger.warning(
            "train() again after a call that stopped %s: the epoch starts over from its "
            "first batch, so those batches are trained again and counted again (as in "
            "MMEngine). A new Runner with resume=True goes on from the last checkpoint "
            "instead.",
            stopped,
        )

    def _decide_current_val_interval(self) -> None:
        """MMEngine's name: apply ``dynamic_intervals`` at the current epoch (mmrazor's QAT
        loops call it from their own ``run``)."""
        self.update_val_interval(self._epoch)

    def run_epoch(self) -> None:
        """One epoch: ``before_train_epoch``, :meth:`run_iter` per batch, ``after_train_epoch``."""
        runner = self.runner
        runner.hook_points.before_train_epoch(runner)
        # after the hooks: one may swap the epoch's loader (mmyolo's mode switch), and the
        # checkpoint's position is checked against, and applied to, the loader that runs
        start, global_start = self._resume_position()
        runner.model.train()
        run_iter = self.run_iter
        batches = self.iter_batches(start, epoch=self._epoch, global_start=global_start)
        for idx, data_batch in batches:
            run_iter(idx, data_batch)
        self._pos = (self._epoch + 1, self._iter, 0)
        self._offset = 0
        runner.hook_points.after_train_epoch(runner)
        self._epoch += 1

    def run_iter(self, idx: int, data_batch: Any) -> None:
        """One iteration: ``before_train_iter``, the training step, ``after_train_iter``."""
        runner = self.runner
        points = self._points
        points.before_train_iter(runner, idx, data_batch)
        try:  # the step inline (not self.train_step): one call less per iteration
            outputs = runner.model.train_step(data_batch, optim_wrapper=runner.optim_wrapper)
        except Exception as exc:
            self.note_failed_step(exc, idx)
            raise
        self._pos = (self._epoch, self._iter + 1, idx + 1)
        points.after_train_iter(runner, idx, data_batch, outputs)
        self._iter += 1


def _skips_tolerated(loop: Any, stream: Iterator[Any]) -> Iterator[Any]:
    """``stream`` (a resumed run's, starting at the checkpoint's position) for a ``run()``
    of one's own: if it draws several batches before its first iteration, as MMEngine's
    ``run()`` does to skip the ``self._iter`` it already trained (``next()`` that many
    times), those draws all give the first batch, and the stream goes on after it once an
    iteration ran. A ``run()`` that trains every batch it draws gets the stream as it is."""
    first = next(stream, _END)
    if first is _END:
        return
    at = loop._iter
    yield first
    draws = 1
    while loop._iter == at and draws <= at:  # no iteration since: MMEngine's skip loop
        draws += 1
        yield first
    yield from stream


_END = object()


def _replaces(loop: BaseTrainLoop, base: type, methods: Sequence[str]) -> bool:
    """Whether ``loop``'s class replaces any of ``base``'s ``methods`` (a subclass written
    for MMEngine, which may count epochs and iterations itself)."""
    return any(getattr(type(loop), m) is not vars(base)[m] for m in methods)


def _follow_hook_calls(
    loop: BaseTrainLoop,
    runner: RunnerAPI,
    epoch_ends: Callable[[Any], None] | None,
    iter_ends: Callable[[Any], None],
) -> None:
    """Keep the checkpoint position of a loop whose ``run``/``run_epoch``/``run_iter`` is
    its own, written for MMEngine: it calls ``runner.call_hook('after_train_iter', ...)``
    and ``'after_train_epoch'`` and counts ``self._iter``/``self._epoch`` itself, so the
    position the stock methods keep would stay behind (checkpoints named an epoch early, a
    resume that trains an epoch again). Right before those points are called that way,
    the position is brought up to the counters; the stock methods, which call the points
    directly, are not watched and pay nothing."""
    import weakref

    ref = weakref.ref(loop)

    def when(action: Callable[[Any], None]) -> Callable[[], None]:
        def run() -> None:
            alive = ref()
            if alive is not None:
                action(alive)

        return run

    runner.hooks.watch("after_train_iter", before=when(iter_ends))
    if epoch_ends is not None:
        runner.hooks.watch("before_train_epoch", before=when(_epoch_begins))
        runner.hooks.watch("after_train_epoch", before=when(epoch_ends))


def _epoch_iter_done(loop: Any) -> None:
    epoch, iters, batch = loop._pos
    if iters <= loop._iter:  # not moved by the stock run_iter: this iteration's step is done
        loop._pos = (loop._epoch, loop._iter + 1, (batch if epoch == loop._epoch else 0) + 1)


def _epoch_begins(loop: Any) -> None:
    """An epoch of such a loop starts at its first batch (a resumed one too, as MMEngine's:
    it iterates its data from the start), so its batch count does too."""
    loop._pos = (loop._epoch, loop._iter, 0)
    loop._resume_batch = 0


def _epoch_done(loop: Any) -> None:
    epoch, _, _ = loop._pos
    if epoch <= loop._epoch:  # the epoch's end, whether the counter moved before or after
        loop._pos = (max(loop._epoch, epoch + 1), loop._iter, 0)
        loop._offset = 0


def _iter_done(loop: Any) -> None:
    _, iters, _ = loop._pos
    if iters <= loop._iter:
        loop._pos = (0, max(loop._iter, iters + 1), 0)


class IterBasedTrainLoop(BaseTrainLoop):
    """Train for ``max_iters`` iterations, cycling the data loader as needed.

    The whole run is one "epoch" for the hooks (``before_train_epoch`` and
    ``after_train_epoch`` fire once); passes over the data are counted
    separately so each pass shuffles differently. A checkpoint records the
    pass and the samples of it all ranks consumed: a run resumed with another
    number of processes goes on from there, the new ranks splitting the rest.
    Validation runs after iteration ``i`` when ``i >= val_begin`` and ``i``
    is a multiple of ``val_interval`` (or the last one).
    """

    by_epoch = False
    _number_keys = (*BaseTrainLoop._number_keys, "max_iters")

    def __init__(
        self,
        runner: RunnerAPI,
        dataloader: Any,
        max_iters: int,
        val_begin: int = 1,
        val_interval: int = 1000,
        dynamic_intervals: Sequence[tuple[int, int]] | None = None,
    ) -> None:
        super().__init__(runner, dataloader, val_begin, val_interval, dynamic_intervals)
        self._max_iters = _NUMBER_RULES["max_iters"](max_iters)
        self._max_epochs = 1
        if _replaces(self, IterBasedTrainLoop, ("run", "run_iter")):
            _follow_hook_calls(self, runner, epoch_ends=None, iter_ends=_iter_done)
        from runner_core.data import is_endless

        # an endless sampler (InfiniteSampler) has a len() but one never-ending stream: a
        # resumed run goes on in that stream, not at a pass of len() batches
        self._epoch_length: int | None = (
            None if is_endless(self.dataloader) else len(self.dataloader)
        )
        # where the current pass over the data started, set once per pass by run():
        # (pass, the iteration count at its batch index 0, samples before that index)
        self._pass_start: tuple[int, int, int] | None = None
        self._batch_stream: Iterator[Any] | None = None  # see dataloader_iterator
        self._own_iterator = False  # a subclass set dataloader_iterator: run() draws from it
        self._empty_pass = 0  # the pass that gave no batch, when the stream of passes ended

    @property
    def dataloader_iterator(self) -> Iterator[Any]:
        """MMEngine's endless iterator of batches: ``next(self.dataloader_iterator)``.

        For subclasses whose own ``run()`` draws the batches (MMEngine's
        pattern). It goes on from a resumed run's position and shuffles each
        pass as :meth:`run` does, recording the position a checkpoint saves.
        """
        if self._batch_stream is None:
            stream = self._endless_batches()
            # resumed: MMEngine's run() first draws self._iter batches to skip them, from
            # a stream that starts at the data's beginning; this one starts where the
            # checkpoint stopped, so those draws must not move it (_skips_tolerated)
            self._batch_stream = _skips_tolerated(self, stream) if self._iter else stream
        return self._batch_stream

    @dataloader_iterator.setter
    def dataloader_iterator(self, iterator: Iterator[Any]) -> None:
        """A subclass's own iterator (MMEngine's ``__init__`` assigns one, and subclasses
        written for it do too): ``next(self.dataloader_iterator)`` and :meth:`run` then
        draw from it, as MMEngine's ``run()`` does (its position is the subclass's own
        business: a checkpoint records the iteration count only)."""
        self._batch_stream = iterator
        self._own_iterator = True

    def _endless_batches(self) -> Iterator[Any]:
        """Pass after pass of the data from the resumed position, each pass shuffled by its
        number, recording where it started (``_pass_start``) for the checkpoint's position;
        ends only at a pass that gives no batch (``_empty_pass``)."""
        data_pass, start, global_start = self._resume_pass()
        while True:
            self._pass_start = (data_pass, self._iter - start, self._offset)
            drawn = False
            for _, data_batch in self.iter_batches(
                start, epoch=data_pass, global_start=global_start
            ):
                drawn = True
                yield data_batch
            if not drawn and start == 0 and global_start is None:
                # a pass without a batch: the stream ends (an EmptyDataError raised in a
                # generator would reach the caller as a bare RuntimeError); run() says why
                self._empty_pass = data_pass
                return
            data_pass, start, global_start, self._offset = data_pass + 1, 0, None, 0

    def run(self) -> Any:
        runner = self.runner
        runner.call_hook("before_train")
        runner.hook_points.before_train_epoch(runner)
        runner.model.train()
        validated = -1  # the iteration the latest validation ran after
        if self._iter < self._max_iters and not self.stop_training:
            # a subclass's own dataloader_iterator, as MMEngine's run(); else the endless
            # stream of passes from the resumed position (not kept: a later train() starts
            # its own from the position then)
            batches = self.dataloader_iterator if self._own_iterator else self._endless_batches()
            for data_batch in batches:
                self.run_iter(data_batch)
                self.update_val_interval(self._iter)
                if self.should_validate(self._iter, self._max_iters):
                    runner.run_validation()  # puts the model back in training mode
                    validated = self._iter
                if self._iter >= self._max_iters or self.stop_training:
                    break
            else:  # the batches ended before max_iters
                if self._own_iterator:
                    raise EmptyDataError(
                        f"{type(self).__name__}.dataloader_iterator ended after {self._iter} "
                        f"iterations, before max_iters={self._max_iters}: set an endless "
                        "iterator (one that starts a new pass of the data when one ends)."
                    )
                raise _empty_pass_error(self.dataloader, self._empty_pass, self._max_iters)
        if validated == self._iter:  # ended on a validation: eval mode, as MMEngine leaves it
            runner.model.eval()
        self._pos = (1, self._iter, 0)
        runner.hook_points.after_train_epoch(runner)
        runner.call_hook("after_train")
        return runner.model

    def _decide_current_val_interval(self) -> None:
        """MMEngine's name: apply ``dynamic_intervals`` at the current iteration."""
        self.update_val_interval(self._iter)

    def run_iter(self, data_batch: Any) -> None:  # MMEngine's signature
        """One iteration (``batch_idx`` is the iteration number, as in MMEngine)."""
        runner = self.runner
        points = self._points
        idx = self._iter
        points.before_train_iter(runner, idx, data_batch)
        try:
            outputs = runner.model.train_step(data_batch, optim_wrapper=runner.optim_wrapper)
        except Exception as exc:
            self.note_failed_step(exc, idx)
            raise
        self._pos = (0, idx + 1, 0)
        points.after_train_iter(runner, idx, data_batch, outputs)
        self._iter += 1

    def _resume_pass(self) -> tuple[int, int, int | None]:
        """Where the data starts: ``(pass, batch index, global start)``.

        The saved ``data_pass`` and ``samples_in_pass`` (all ranks together;
        for an endless sampler, the position in its one global stream) are the
        global position. Resumed by as many processes with the same batch size,
        each rank goes on in its own slice, as the saving run would have.
        Otherwise the ranks split the rest of the pass (:meth:`_start_globally`).
        A checkpoint without that position (older runs, a loader without a
        ``batch_size``) goes on at this rank's own batch count.
        """
        self._offset = 0
        length = self._epoch_length
        loaded = self._loaded["state"] if self._loaded is not None else {}
        samples, saved_world = loaded.get("samples_in_pass"), loaded.get("world_size")
        per = self._samples_per_batch()
        global_start = None
        if samples is None or saved_world is None or per is None:
            data_pass, start = divmod(self._iter, length) if length else (0, self._iter)
            if start and self._dataset_changed(loaded, "the data pass"):
                start = 0
        elif int(samples) and self._dataset_changed(
            loaded,
            f"data pass {int(loaded.get('data_pass', 0)) + 1}"
            if length
            else "the endless data stream",
        ):
            data_pass, start = (int(loaded.get("data_pass", 0)), 0) if length else (0, 0)
        else:
            data_pass, samples = int(loaded.get("data_pass", 0)), int(samples)
            start, rest = divmod(samples, per)
            same_world = int(saved_world) == int(getattr(self.runner, "world_size", 1))
            if rest or (samples and not same_world):  # not this run's layout
                where = f"data pass {data_pass + 1}" if length else "the endless data stream"
                start, global_start = self._start_globally(samples, int(saved_world), where)
        self._pass_start = (data_pass, self._iter - start, self._offset)
        return data_pass, start, global_start

    def state_dict(self) -> dict[str, Any]:
        _, iters, _ = self._pos
        if self._loaded is not None and iters == self._loaded["pos"][1]:
            return dict(self._loaded["state"])  # nothing ran since the resume
        # the loop's single epoch is under way once an iteration ran
        state: dict[str, Any] = {
            "epoch": 0,
            "iter": iters,
            "batch_in_epoch": 0,
            "mid_epoch": iters > 0,
        }
        per = self._samples_per_batch()
        if per is not None:
            # the global data position, so that another number of processes can go on from it
            length = self._epoch_length
            pass_start = self._pass_start
            if pass_start is None:  # no pass started by run(): passes of len() from 0
                data_pass, batch = divmod(iters, length) if length else (0, iters)
                pass_start = (data_pass, iters - batch, 0)
            data_pass, first_iter, offset = pass_start
            done = iters - first_iter  # this rank's batch index in the pass
            samples = offset + done * per
            if length is not None and done >= length:  # the pass is over
                data_pass, samples = data_pass + 1, 0
            state["world_size"] = int(getattr(self.runner, "world_size", 1))
            state["data_pass"] = data_pass
            state["samples_in_pass"] = samples
        dataset_length = self._dataset_length() if iters else None
        if dataset_length is not None:  # what the position is a position in
            state["dataset_length"] = dataset_length
        return state
