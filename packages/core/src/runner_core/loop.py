"""``BaseLoop``: the contract of training, validation and test loops.

A loop owns one data loader (and optionally an evaluator) and drives the
model through it in ``run()``, calling hook points through the runner
(``runner.hook_points.<name>`` on the fast path, ``runner.call_hook`` for any
point). The standard loops live in ``runner-loops-standard``; custom ones are
registered in ``LOOPS`` and chosen with ``type=`` in
``train_cfg``/``val_cfg``/``test_cfg``.

Exact resume is part of this contract: a training loop keeps its position in
``state_dict()``/``load_state_dict()`` (the only way the Runner saves and
restores it) and iterates its data through :meth:`BaseLoop.iter_batches`,
which starts at the saved batch without loading the skipped ones and hands
the run its random streams back at the right moment. A loop that resumes only
at epoch boundaries needs nothing but the standard hook points: the streams
come back right before ``before_train_epoch``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from .errors import RunnerError

if TYPE_CHECKING:
    from .contract import RunnerAPI


class LoopInitError(RunnerError, AttributeError):
    """A loop whose ``__init__`` did not call its base class's (an AttributeError, as the
    first missing attribute is in MMEngine)."""


def loader_metainfo(loader: Any) -> dict | None:
    """The ``metainfo`` of a data loader's dataset (class names...), or None without one."""
    metainfo = getattr(getattr(loader, "dataset", None), "metainfo", None)
    if isinstance(metainfo, dict):
        return metainfo
    # a read-only view (MappingProxyType) or another Mapping: MMEngine hands it on as it is
    return dict(metainfo) if isinstance(metainfo, Mapping) else None


class BaseLoop(ABC):
    """Base class of loops.

    Args:
        runner: the Runner running this loop.
        dataloader: a data loader or its config (built by the runner).
        evaluator: an evaluator, a metric, a list of them, or their configs.

    Class attributes:
        mode: ``'train'``, ``'val'`` or ``'test'``. A custom loop that does
            not set it gets the mode of the config key it was built from.
        hook_points: extra hook points this loop calls, ``{name: (arg, ...)}``;
            hooks may implement them like the standard ones.
    """

    mode: str | None = None
    hook_points: ClassVar[Mapping[str, Iterable[str]]] = {}

    def __init__(self, runner: RunnerAPI, dataloader: Any, evaluator: Any = None) -> None:
        #: the runner running this loop (a plain attribute: loops read it every iteration)
        self.runner = runner
        self._runner = runner  # MMEngine's name, which its loop subclasses use
        if isinstance(dataloader, Mapping):
            from .runner.building import loader_seed_args

            dataloader = runner.build_dataloader(dataloader, **loader_seed_args(runner))
        self.dataloader = dataloader
        #: the evaluator, or None for a loop built without one (typed ``Any``, as a val or
        #: test loop always has one: ``self.evaluator.evaluate(...)`` type-checks unguarded)
        self.evaluator: Any = runner.build_evaluator(evaluator) if evaluator is not None else None
        if self.evaluator is not None:
            self._share_dataset_meta(runner)

    def _share_dataset_meta(self, runner: RunnerAPI) -> None:
        """Give the dataset's ``metainfo`` to the evaluator's metrics and the visualizer.

        Metrics read class names from ``self.dataset_meta`` (MMEngine's loops
        set it the same way); datasets without ``metainfo`` leave it None. Each
        reads ``metainfo`` on its own, as in MMEngine: a ``BaseDataset``'s is a
        copy each time, so a metric that edits its ``dataset_meta`` leaves the
        visualizer's alone (a plain attribute is shared, as in MMEngine).
        """
        metainfo = loader_metainfo(self.dataloader)
        evaluator = self.evaluator
        if evaluator is None or metainfo is None:
            return
        evaluator.dataset_meta = metainfo
        visualizer = getattr(runner, "visualizer", None)
        if visualizer is not None and hasattr(visualizer, "dataset_meta"):
            visualizer.dataset_meta = loader_metainfo(self.dataloader)

    @abstractmethod
    def run(self) -> Any:
        """Run the loop."""

    if TYPE_CHECKING:
        # MMEngine's BaseLoop has no run_iter and its loops define it as run_iter(data_batch)
        # (IterBasedTrainLoop) or run_iter(idx, data_batch): typed as taking anything, so a
        # subclass's own signature type-checks whichever it is.
        def run_iter(self, *args: Any, **kwargs: Any) -> Any: ...

    else:

        def run_iter(self, idx: int, data_batch: Any) -> Any:
            """Run one model step of this loop's mode and feed the evaluator.

            Calls no hooks: a loop written on ``BaseLoop`` calls them around this
            method (as the Runner guide's custom loop does). The standard loops
            override it with MMEngine's meaning: the hook points, the step, and
            (for training) the counters. A val or test step runs without autograd,
            as MMEngine's ``ValLoop.run_iter`` does; switching the model to eval
            mode is the loop's ``run`` (as in MMEngine).
            """
            runner = self.runner
            model = runner.model
            mode = self.mode
            if mode == "train":
                return model.train_step(data_batch, optim_wrapper=runner.optim_wrapper)
            import torch

            with torch.no_grad():
                step = model.test_step if mode == "test" else model.val_step
                outputs = step(data_batch)
            if self.evaluator is not None:
                self.evaluator.process(data_samples=outputs, data_batch=data_batch)
            return outputs

    # -- position, for checkpoints ----------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The loop's position, as a checkpoint saved now should record it.

        Training loops return at least ``epoch`` and ``iter`` (completed) and
        may add ``batch_in_epoch`` (batches done in the current epoch),
        ``mid_epoch``, and ``world_size`` with ``samples_in_epoch`` (samples
        all ranks consumed in the epoch; an iteration-based loop:
        ``data_pass`` and ``samples_in_pass``), so that a run resumed with
        another number of processes continues where this one stopped.
        Evaluation loops keep no position: ``{}``.
        """
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from a position :meth:`state_dict` returned.

        By default MMEngine's resume: a loop that counts in ``_epoch`` and
        ``_iter`` (as loops written for MMEngine do) gets the saved counts.
        """
        for key in ("epoch", "iter"):
            value = state.get(key)
            settable = not isinstance(getattr(type(self), f"_{key}", None), property)
            if isinstance(value, int) and settable and hasattr(self, f"_{key}"):
                setattr(self, f"_{key}", value)

    # -- data ---------------------------------------------------------------------------
    def iter_batches(
        self, start: int = 0, epoch: int | None = None, *, global_start: int | None = None
    ) -> Iterator[tuple[int, Any]]:
        """``(batch index, batch)`` pairs of this loop's data, from batch ``start`` on.

        ``epoch`` is told to the sampler first (each epoch shuffles
        differently, reproducibly). A ``start`` past 0 skips that many
        batches without loading them (a sampler that cannot skip is advanced
        with a warning). ``global_start``, for a run resumed with another
        number of processes: the samples all ranks of the saving run consumed
        in this pass; the ranks split the rest of the pass and ``start`` only
        numbers the batches (see :func:`~runner_core.data.positions.iter_from`);
        a sampler that cannot split it (no ``set_global_start``) restarts the
        pass, with a warning, and the indices then start at 0.
        A resumed run gets its random streams back here, at the moment that
        matches the checkpoint: before the iterator is created when the
        checkpoint was taken between data passes, right after it when it was
        taken inside one. A loader that cannot start mid-pass (its order is
        drawn when its iterator starts, and batches are loaded to skip them)
        has the streams of the pass's start recorded
        (``runner.resume_state.pass_rng``, saved with the position), and a
        resume inside the pass starts its iterator under them.
        """
        from .data.positions import can_start_globally, can_start_mid_epoch, iter_from, set_epoch

        if epoch is not None:
            set_epoch(self.dataloader, epoch)
        resume = self.runner.resume_state
        training = self.mode in (None, "train")
        resumed, pass_rng = resume.take_resumed_pass() if training else (False, None)
        # the first pass of a resumed run starts workers the interrupted run started earlier
        aside = resumed and self._workers_start_aside()
        if start <= 0 and global_start is None:
            resume.restore_rng()
            self._note_pass_start(resume)
            return enumerate(self._start_iterator(lambda: iter(self.dataloader), aside))
        if global_start is not None and not can_start_globally(self.dataloader):
            start = 0  # the pass restarts from its first batch (iter_from warns)
            self._note_pass_start(resume)
        replay = (
            global_start is None
            and pass_rng is not None
            and not can_start_mid_epoch(self.dataloader)
        )
        if replay:
            from .runner.randomness import restore_rng_state

            assert pass_rng is not None
            restore_rng_state(pass_rng)  # the pass's order, drawn as the interrupted run drew it
            resume.pass_rng = pass_rng  # a later checkpoint in this pass records it again
        elif global_start is None:
            resume.pass_rng = None  # unknown: a checkpoint inside this pass cannot hold it
        batches = self._start_iterator(
            lambda: iter_from(
                self.dataloader, start, global_start=global_start, epoch_rng_restored=replay
            ),
            aside,
        )
        resume.restore_rng()
        return enumerate(batches, start)

    def _workers_start_aside(self) -> bool:
        """Whether a resumed run starts this loader's workers aside (see
        :func:`~runner_core.data.positions.workers_seeded_aside`), and warn that they
        cannot go on exactly."""
        import warnings

        from .data.positions import draws_worker_seed_once

        if not draws_worker_seed_once(self.dataloader):
            return False
        warnings.warn(
            "train_dataloader is a DataLoader built outside the runner with "
            "persistent_workers=True and no generator: its workers started with a seed "
            "drawn once, in the interrupted run's first epoch, and kept their random "
            "state since, so the resumed workers (started anew) cannot go on with the same "
            "random draws (e.g. augmentations in the dataset); the order of the samples is "
            "resumed. To resume exactly, build the loader from a config "
            "(train_dataloader=dict(dataset=..., ...)) or set persistent_workers=False.",
            stacklevel=3,
        )
        return True

    def _start_iterator(self, start: Any, aside: bool) -> Any:
        if not aside:
            return start()
        from .data.positions import workers_seeded_aside

        with workers_seeded_aside(self.dataloader):
            return start()

    def _note_pass_start(self, resume: Any) -> None:
        """Record the random streams a training pass starts with, for a loader that
        cannot start mid-pass (only there: it costs a copy of every stream per pass)."""
        if self.mode not in (None, "train"):
            return
        from .data.positions import can_start_mid_epoch

        if can_start_mid_epoch(self.dataloader):
            resume.pass_rng = None
        else:
            from .runner.randomness import capture_rng_state

            resume.pass_rng = capture_rng_state()


def check_initialised(loop: Any, key: str) -> None:
    """Raise :class:`LoopInitError` if ``loop`` was built without its base class's
    ``__init__`` (``super().__init__(...)`` forgotten), before the run reads what that
    sets (MMEngine fails later, on ``'_iter'`` or ``'_runner'``). The Runner calls it
    once, when it builds the loop of ``key`` (``'train_cfg'``...)."""
    if not isinstance(loop, BaseLoop):
        return
    if not hasattr(loop, "runner") and hasattr(loop, "_runner"):
        # an MMEngine-style __init__ that set MMEngine's attribute itself (MMEngine's
        # BaseLoop.runner is a property over it)
        loop.runner = loop._runner
    try:
        loop.runner  # noqa: B018  (BaseLoop.__init__ sets it)
    except AttributeError as exc:
        raise LoopInitError(_not_initialised(type(loop), key, exc)) from None
    for name in ("epoch", "iter"):  # the counters the Runner reads (BaseTrainLoop's)
        if isinstance(getattr(type(loop), name, None), property):
            try:
                getattr(loop, name)
            except AttributeError as exc:
                owner = next(c for c in type(loop).__mro__ if name in vars(c))
                if owner.__module__.split(".")[0] in ("runner_core", "runner_loops_standard"):
                    # our counter: its base's __init__, which sets it, was skipped
                    raise LoopInitError(_not_initialised(type(loop), key, exc)) from None
                # the loop's own counter property reads what its own code never set
                missing = exc.name or "?"
                raise LoopInitError(
                    f"{key}: the loop {type(loop).__qualname__}'s {name!r} property reads "
                    f"{missing!r}, which is not set when the loop is built: the Runner reads "
                    f"{name!r} before the loop runs (to resume, schedule and log). Set "
                    f"self.{missing} in {type(loop).__qualname__}.__init__ (or let the base "
                    "class's __init__ set it)."
                ) from None


def _not_initialised(cls: type, key: str, exc: AttributeError) -> str:
    import inspect

    # the __init__ a super().__init__(...) in cls.__init__ reaches
    base = next((c for c in cls.__mro__[1:] if "__init__" in vars(c)), BaseLoop)
    try:
        init = vars(base).get("__init__", BaseLoop.__init__)
        params = list(inspect.signature(init).parameters.values())[1:]  # no self
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        args = ", ".join(p.name for p in params if p.kind in positional and p.default is p.empty)
        shown = [str(p.replace(annotation=inspect.Parameter.empty)) for p in params]
        takes = f"{base.__name__}.__init__ takes ({', '.join(shown)})"
    except (TypeError, ValueError):
        args, takes = "runner, dataloader", ""
    return (
        f"{key}: the loop {cls.__qualname__} has no attribute {exc.name or '?'!r}: its "
        f"__init__ did not run {base.__name__}.__init__, which sets up what the Runner "
        f"reads (runner, dataloader{', the counters' if base is not BaseLoop else ''}). "
        f"Call super().__init__({args}) in {cls.__qualname__}.__init__"
        + (f" ({takes})." if takes else ".")
    )
