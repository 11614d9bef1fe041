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

if TYPE_CHECKING:
    from .contract import RunnerAPI


def loader_metainfo(loader: Any) -> dict | None:
    """The ``metainfo`` of a data loader's dataset (class names...), or None without one."""
    metainfo = getattr(getattr(loader, "dataset", None), "metainfo", None)
    return metainfo if isinstance(metainfo, dict) else None


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
        self.dataloader = (
            runner.build_dataloader(dataloader) if isinstance(dataloader, Mapping) else dataloader
        )
        #: the evaluator, or None for a loop built without one (typed ``Any``, as a val or
        #: test loop always has one: ``self.evaluator.evaluate(...)`` type-checks unguarded)
        self.evaluator: Any = runner.build_evaluator(evaluator) if evaluator is not None else None
        if self.evaluator is not None:
            self._share_dataset_meta(runner)

    def _share_dataset_meta(self, runner: RunnerAPI) -> None:
        """Give the dataset's ``metainfo`` to the evaluator's metrics and the visualizer.

        Metrics read class names from ``self.dataset_meta`` (MMEngine's loops
        set it the same way); datasets without ``metainfo`` leave it None.
        """
        metainfo = loader_metainfo(self.dataloader)
        evaluator = self.evaluator
        if evaluator is None or metainfo is None:
            return
        evaluator.dataset_meta = metainfo
        visualizer = getattr(runner, "visualizer", None)
        if visualizer is not None and hasattr(visualizer, "dataset_meta"):
            visualizer.dataset_meta = metainfo

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
        taken inside one.
        """
        from .data.positions import can_start_globally, iter_from, set_epoch

        if epoch is not None:
            set_epoch(self.dataloader, epoch)
        resume = self.runner.resume_state
        if start <= 0 and global_start is None:
            resume.restore_rng()
            return enumerate(iter(self.dataloader))
        if global_start is not None and not can_start_globally(self.dataloader):
            start = 0  # the pass restarts from its first batch (iter_from warns)
        batches = iter_from(self.dataloader, start, global_start=global_start)
        resume.restore_rng()
        return enumerate(batches, start)
