"""The hook points: where the Runner and its loops call hooks.

This module is the API reference for hook authors. Each function below is a
pluggy hookspec; a :class:`~runner_core.hooks.Hook` subclass implements a point
by defining a public method of the same name, taking any subset of the
arguments by name (``runner`` included). Points are grouped by phase in the
order a training run reaches them::

    before_run
      [after_load_checkpoint]
      before_train
        before_train_epoch
          before_train_iter -> after_train_iter      (per batch)
        after_train_epoch
        [before_save_checkpoint]
        before_val ... after_val                     (when validation is due)
      after_train
      before_test ... after_test                     (runner.test())
    after_run
    on_exception                                     (the call raised: instead of
                                                      the after_* points still due)

Counters: ``runner.iter`` / ``runner.epoch`` count completed iterations /
epochs; they increase right after ``after_train_iter`` / ``after_train_epoch``.
A hook point called without one of its arguments receives ``None`` for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from ..contract import RunnerAPI

PROJECT = "runner"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -- run -----------------------------------------------------------------------
@hookspec
def before_run(runner: RunnerAPI) -> None:
    """Once, when ``train()``, ``val()`` or ``test()`` starts, after the parts
    that run needs are built and before any checkpoint is loaded."""


@hookspec
def after_run(runner: RunnerAPI) -> None:
    """Once, when ``train()``, ``val()`` or ``test()`` ends normally."""


@hookspec
def on_exception(runner: RunnerAPI, exception: BaseException) -> None:
    """Once, when ``train()``, ``val()`` or ``test()`` ends with an exception
    of any kind (``KeyboardInterrupt`` from Ctrl-C and ``SystemExit``
    included), before it propagates, on the rank it was raised on. Release
    here what your ``before_*`` points took (a live display, a profiler,
    swapped weights): the ``after_*`` points of the interrupted run are not
    called, and its ``before_*`` points may not have run either (another
    hook's ``before_run`` raised, say): release only what was taken (a
    ``path = None`` class attribute that ``before_run`` replaces). Background
    checkpoint writes have finished by then (a write this point starts is
    finished before the error goes on). A run call made
    inside another (a hook calling ``runner.val()`` during ``train()``) does
    not call it: the outermost call does, if the error reaches it. An error
    raised here never hides ``exception``: it is logged with the hook's name
    and noted on ``exception``, and the other hooks' ``on_exception`` still
    run; a second Ctrl-C here skips the hooks not yet called. Other ranks may
    have stopped: no collectives here. Not an MMEngine point (Lightning has
    one of the name)."""


# -- checkpoints -----------------------------------------------------------------
@hookspec
def before_save_checkpoint(runner: RunnerAPI, checkpoint: dict) -> None:
    """Just before a checkpoint is written. ``checkpoint`` is the dict about to
    be saved; add to it (e.g. EMA weights) or edit it in place. Runs on rank 0
    only (the rank that writes the file), as in MMEngine: no collectives here."""


@hookspec
def after_load_checkpoint(runner: RunnerAPI, checkpoint: dict) -> None:
    """Right after a checkpoint was loaded for weights or resume, before
    training continues. Read your own state back from ``checkpoint``.

    It runs before the model's weights (and, on resume, the optimizer and
    schedulers) are restored from ``checkpoint``, as in MMEngine: a hook that
    changed the set-up during the run (an optimizer param group it added)
    makes the change again here, so that the saved state fits.

    ``load_from`` and resume memory-map the checkpoint file (the weights are
    not held twice) only when every hook's ``after_load_checkpoint`` is
    marked ``@runner_core.hooks.copies_checkpoint``: it copies what it needs
    and neither keeps the checkpoint's tensors nor rewrites its file. An
    unmarked one gets a checkpoint read into memory, which it may keep."""


# -- training ------------------------------------------------------------------------
@hookspec
def before_train(runner: RunnerAPI) -> None:
    """Once before the first training epoch (after a resume, if any)."""


@hookspec
def after_train(runner: RunnerAPI) -> None:
    """Once after the last training epoch or iteration (also after an early stop)."""


@hookspec
def before_train_epoch(runner: RunnerAPI) -> None:
    """At the start of each training epoch; ``runner.epoch`` is the number of
    epochs completed so far. The iteration-based loop calls it once."""


@hookspec
def after_train_epoch(runner: RunnerAPI) -> None:
    """At the end of each training epoch, before ``runner.epoch`` increases.
    The iteration-based loop calls it once, at the end of training."""


@hookspec
def before_train_iter(runner: RunnerAPI, batch_idx: int, data_batch: Any) -> None:
    """Before each training step. ``batch_idx`` is the index of the batch in
    the current epoch; ``data_batch`` is what the data loader produced."""


@hookspec
def after_train_iter(
    runner: RunnerAPI, batch_idx: int, data_batch: Any, outputs: dict | None
) -> None:
    """After each training step, before ``runner.iter`` increases. ``outputs``
    is what ``model.train_step`` returned: a dict of (detached) loss terms."""


# -- validation --------------------------------------------------------------------------
@hookspec
def before_val(runner: RunnerAPI) -> None:
    """Once when a validation run starts (inside training or from ``val()``)."""


@hookspec
def after_val(runner: RunnerAPI) -> None:
    """Once when a validation run ends."""


@hookspec
def before_val_epoch(runner: RunnerAPI) -> None:
    """Before the validation data loader is iterated."""


@hookspec
def after_val_epoch(runner: RunnerAPI, metrics: dict | None) -> None:
    """After the validation metrics are computed. ``metrics`` maps names
    (``'accuracy/top1'``) to values; ``None`` if the loop computed none."""


@hookspec
def before_val_iter(runner: RunnerAPI, batch_idx: int, data_batch: Any) -> None:
    """Before each validation step."""


@hookspec
def after_val_iter(runner: RunnerAPI, batch_idx: int, data_batch: Any, outputs: Any) -> None:
    """After each validation step; ``outputs`` is what ``model.val_step`` returned."""


# -- test --------------------------------------------------------------------------------
@hookspec
def before_test(runner: RunnerAPI) -> None:
    """Once when ``test()`` starts its loop."""


@hookspec
def after_test(runner: RunnerAPI) -> None:
    """Once when the test loop ends."""


@hookspec
def before_test_epoch(runner: RunnerAPI) -> None:
    """Before the test data loader is iterated."""


@hookspec
def after_test_epoch(runner: RunnerAPI, metrics: dict | None) -> None:
    """After the test metrics are computed (see ``after_val_epoch``)."""


@hookspec
def before_test_iter(runner: RunnerAPI, batch_idx: int, data_batch: Any) -> None:
    """Before each test step."""


@hookspec
def after_test_iter(runner: RunnerAPI, batch_idx: int, data_batch: Any, outputs: Any) -> None:
    """After each test step; ``outputs`` is what ``model.test_step`` returned."""


def hook_point_names() -> tuple[str, ...]:
    """The standard hook points, in the order of this module."""
    import inspect
    import sys

    module = sys.modules[__name__]
    specs = [
        fn
        for _, fn in inspect.getmembers(module, inspect.isfunction)
        if getattr(fn, f"{PROJECT}_spec", None) is not None
    ]
    return tuple(fn.__name__ for fn in sorted(specs, key=lambda fn: fn.__code__.co_firstlineno))
