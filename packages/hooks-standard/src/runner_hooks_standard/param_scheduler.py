"""``ParamSchedulerHook``: step the parameter schedulers at the right moments."""

from __future__ import annotations

import warnings
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from runner_core.contract import RunnerAPI
from runner_core.hooks import Hook, Priority

#: the warning a scheduler gives when it steps before its optimizer first did
_STEPPED_FIRST = r"Detected call of `\w+\.step\(\)` before `optimizer\.step\(\)`"


class ParamSchedulerHook(Hook):
    """Step ``runner.param_schedulers`` (a list, or a dict of lists per optimizer).

    * by-iteration schedulers (``by_epoch=False``): after every training iteration;
    * by-epoch schedulers: after every training epoch;
    * schedulers that judge validation metrics (``need_val_args``, e.g.
      ``ReduceOnPlateauLR``): ``step(metrics)`` after each validation, on top
      of the plain ``step()`` that counts their iterations/epochs.

    With gradient accumulation (``accumulative_counts > 1``) by-iteration
    schedulers step every iteration, as MMEngine does (mmengine#1308), so
    ``begin``/``end`` count iterations, not optimizer updates. Set
    ``step_on_update_only=True`` to step them only on iterations where the
    optimizer stepped (then ``begin``/``end`` count updates).
    """

    priority: int | str = Priority.LOW
    step_on_update_only: bool = False
    # The schedulers by when they step, read from runner.param_schedulers: afresh in
    # idle_points (once per run, right after before_train), on first use, and again
    # whenever it holds other schedulers than then (``_read``: a hook may replace or
    # append to it mid-run, and MMEngine's hook reads it at every call). Class
    # defaults, not __init__ work: subclasses (mmyolo's) skip __init__ and override
    # before_train, and MMEngine's stateless hook still steps the schedulers for them.
    _by_iter: list[tuple[Any, Any]] | None = None  # (scheduler, its optim wrapper)
    _by_epoch: list[Any] | None = None
    _on_val: list[Any] | None = None
    _read: tuple[int, ...] = ()  # the ids of what the lists were read from
    _accumulating = False  # the by-iteration schedulers' first steps are still to come

    def __init__(self, step_on_update_only: bool = False) -> None:
        self.step_on_update_only = step_on_update_only

    def _split(self, runner: RunnerAPI) -> list[tuple[Any, Any]]:
        """Sort ``runner.param_schedulers`` by when they step; returns the by-iteration ones."""
        by_iter: list[tuple[Any, Any]] = []
        by_epoch: list[Any] = []
        on_val: list[Any] = []
        schedulers = runner.param_schedulers
        self._read = _ids(schedulers)
        if _configs(schedulers):  # a Runner that has not trained: nothing built to step yet
            schedulers = None
        for scheduler, wrapper in _each(schedulers, runner.optim_wrapper):
            if not hasattr(scheduler, "step"):
                from runner_core.errors import HookTypeError

                raise HookTypeError(  # MMEngine's TypeError for what it cannot step
                    f"param_scheduler holds {scheduler!r}, which has no step(); "
                    "ParamSchedulerHook steps schedulers built from param_scheduler=... configs."
                )
            if getattr(scheduler, "by_epoch", True):
                by_epoch.append(scheduler)
            else:
                by_iter.append((scheduler, wrapper))
            if getattr(scheduler, "need_val_args", False):
                on_val.append(scheduler)
        self._by_iter, self._by_epoch, self._on_val = by_iter, by_epoch, on_val
        # an accumulating wrapper's optimizer first steps at the end of its window, after
        # its schedulers' first steps: by design here, not the mistake torch warns about
        self._accumulating = any(
            getattr(wrapper, "accumulative_counts", 1) > 1 for _, wrapper in by_iter
        )
        return by_iter

    def _current(self, runner: RunnerAPI) -> None:
        """Sort the schedulers again if ``runner.param_schedulers`` changed since; wake
        an idle ``after_train_iter`` when by-iteration schedulers came with the change."""
        if self._by_iter is not None and _ids(runner.param_schedulers) == self._read:
            return
        idle = self._by_iter == []  # idle_points found none: after_train_iter sat out
        if self._split(runner) and idle:
            runner.hooks.wake_soon(self)

    def before_train(self, runner: RunnerAPI) -> None:
        """Say so when a by-epoch scheduler meets an iteration-based loop: the run is one
        epoch there, so the scheduler steps once, at its end, and never changes a value
        during training; and when one that steps on validation metrics meets a run
        without validation (MMEngine is silent in both)."""
        self._split(runner)
        if self._on_val and not runner.has_validation():
            runner.logger.warning(
                "param_scheduler %s steps on validation metrics, but this run has no "
                "validation (no val_dataloader, val_cfg and val_evaluator): it never steps, "
                "and its values stay as they are. Add validation, or use a scheduler that "
                "follows the iterations.",
                ", ".join(sorted({type(s).__name__ for s in self._on_val})),
            )
        loop = runner.train_loop
        if getattr(loop, "by_epoch", True) is not False:
            return
        for scheduler in self._by_epoch or ():
            if getattr(scheduler, "need_val_args", False):
                continue  # it steps on validation metrics, which come during the run
            runner.logger.warning(
                "param_scheduler %s has by_epoch=True, but the train loop (%s) runs the "
                "whole training as one epoch: it steps once, at the end, so it changes "
                "nothing during training. Set by_epoch=False (begin, end and milestones in "
                "iterations), or convert_to_iter_based=True with an explicit end to keep "
                "them in epochs of the train dataloader.",
                type(scheduler).__name__,
                type(loop).__name__,
            )
        self._warn_converted_end(runner)

    def _warn_converted_end(self, runner: RunnerAPI) -> None:
        """A converted schedule whose ``end`` defaulted to the loop's one epoch stops after
        one pass over the data, long before an iteration-based run ends: say so, as the
        lr then stays put without a word (MMEngine is silent)."""
        max_iters = runner.max_iters
        for scheduler, _ in self._by_iter or ():
            end = getattr(scheduler, "end", None)
            length = getattr(scheduler, "converted_epoch_length", None)
            if (
                getattr(scheduler, "end_follows_run", False)
                and isinstance(length, int)
                and length > 0
                and isinstance(end, int)
                and end < max_iters
            ):
                runner.logger.warning(
                    "param_scheduler %s (convert_to_iter_based=True) has no end, so it ends "
                    "after max_epochs=%d of the iteration-based loop: at iteration %d of %d "
                    "(%d iterations per pass over the train dataloader). Its values stay put "
                    "from there on. Give end in epochs (end=%d covers the run), or "
                    "by_epoch=False with end in iterations.",
                    type(scheduler).__name__,
                    runner.max_epochs,
                    end,
                    max_iters,
                    length,
                    -(-max_iters // length),
                )

    def before_train_epoch(self, runner: RunnerAPI) -> None:
        self._current(runner)

    def idle_points(self, runner: RunnerAPI) -> Collection[str]:
        """No scheduler steps per iteration: nothing to do after each one
        (unless a subclass does its own work there)."""
        by_iter = self._split(runner)
        if by_iter or type(self).after_train_iter is not ParamSchedulerHook.after_train_iter:
            return ()
        return ("after_train_iter",)

    def after_train_iter(
        self,
        runner: RunnerAPI,
        batch_idx: int,
        data_batch: Any = None,
        outputs: Any = None,
    ) -> None:
        by_iter = self._by_iter
        if by_iter is None or _ids(runner.param_schedulers) != self._read:
            by_iter = self._split(runner)
        if not by_iter:
            return
        if self._accumulating:  # the schedulers' first steps (once per built set)
            self._accumulating = False
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=_STEPPED_FIRST)
                self._step_by_iter(by_iter)
            return
        self._step_by_iter(by_iter)

    def _step_by_iter(self, by_iter: list[tuple[Any, Any]]) -> None:
        if self.step_on_update_only:
            for scheduler, wrapper in by_iter:
                should = getattr(wrapper, "should_update", None)
                if should is None or should():
                    scheduler.step()
        else:
            for scheduler, _ in by_iter:
                scheduler.step()

    def after_train_epoch(self, runner: RunnerAPI) -> None:
        self._current(runner)
        for scheduler in self._by_epoch or ():
            scheduler.step()

    def after_val_epoch(self, runner: RunnerAPI, metrics: dict[str, Any] | None = None) -> None:
        if not metrics:
            return
        self._current(runner)
        for scheduler in self._on_val or ():
            scheduler.step(metrics)

    def __repr__(self) -> str:
        return f"ParamSchedulerHook(step_on_update_only={self.step_on_update_only})"


def _configs(schedulers: Any) -> bool:
    """Whether ``schedulers`` holds configs: ``runner.param_schedulers`` holds what was
    passed until ``train()`` builds it, as MMEngine's (whose hook skips it then too)."""
    if isinstance(schedulers, Mapping) and "type" in schedulers:
        return True
    return any(isinstance(s, Mapping) for s, _ in _each(schedulers, None))


def _ids(schedulers: Any) -> tuple[int, ...]:
    """What ``runner.param_schedulers`` holds, by identity: compared to see a change."""
    if type(schedulers) is list:  # the usual case, per iteration: no generator
        return (id(schedulers), *map(id, schedulers))
    return (id(schedulers), *(id(s) for s, _ in _each(schedulers, None)))


def _each(schedulers: Any, optim_wrapper: Any) -> Iterator[tuple[Any, Any]]:
    """(scheduler, the optim wrapper it drives) for a list or a dict of lists."""
    if not schedulers:
        return
    if isinstance(schedulers, Mapping):
        for name, group in schedulers.items():
            wrapper = optim_wrapper[name] if optim_wrapper is not None else None
            for scheduler in group if isinstance(group, (list, tuple)) else [group]:
                yield scheduler, wrapper
        return
    for scheduler in schedulers if isinstance(schedulers, (list, tuple)) else [schedulers]:
        yield scheduler, optim_wrapper
