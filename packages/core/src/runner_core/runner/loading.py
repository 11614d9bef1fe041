"""``load_or_resume``: load ``load_from`` or resume, once per Runner (MMEngine's method).

A mixin of :class:`~runner_core.runner.Runner` (one concept per module).
``train()``, ``val()`` and ``test()`` call it after ``before_run``, as MMEngine's
do, so a subclass may override it; ``train()`` has found its checkpoint before
(the checkpoint's seed seeds the data loaders) and hands it over in
``resume_state.found``. Called from user code it loads at once:

- inside a run (``before_run`` called: a run method of the user's own, or a
  script that calls the hook points itself), it builds what a resume needs
  (train loop, optimizer with its lr scaled, schedulers) and applies it;
- before any run, with a resume to do, it takes ``train()``'s steps up to the
  first iteration (``before_run`` and weight initialisation included, so hooks
  that keep state are set up before the checkpoint reaches them, and the
  resume stays exact), and the next ``train()`` starts from there.

Either way the next ``train()``, ``val()`` or ``test()`` does not load again.
Which file each of them reads, and whether it resumes or loads weights only,
is decided in one place: :meth:`ResumeState.choose`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..hooks.checkpoint_use import leaves_checkpoint_file
from . import checkpointing
from .resume import AUTO, ResumeState

if TYPE_CHECKING:
    import logging
    from pathlib import Path


class RunPhase:
    """Whether hooks are set up (between ``before_run`` and ``after_run``).

    Kept up to date by the hook manager (:meth:`HookManager.watch`), so a run
    method of the user's own, or a script that calls
    ``runner.call_hook('before_run')`` itself, counts too. A separate object
    that the watches update, so that the hook manager holds no reference to
    the Runner (which gives its work dir back when it is garbage-collected).
    """

    __slots__ = ("in_run", "ready_train_loop")

    def __init__(self) -> None:
        self.in_run = False
        #: the train loop a load_or_resume() before any run prepared, for the next train()
        self.ready_train_loop: Any = None

    def start(self) -> None:
        self.in_run = True  # load_or_resume() may load at once

    def end(self) -> None:
        self.in_run = False
        self.ready_train_loop = None  # a run came between load_or_resume() and train()


class LoadOrResume:
    """``load_or_resume()`` and the load step of ``train()``, ``val()`` and ``test()``."""

    # set by Runner.__init__
    logger: logging.Logger
    work_dir: Path
    load_cfg: dict[str, Any]
    _resume_state: ResumeState
    _load_done: bool
    #: which run method is loading ("train", "val", "test"); None: a call from user code
    _load_step: str | None
    _run_phase: RunPhase
    #: how many checkpoints were loaded or resumed (``load_checkpoint``, each resume)
    _checkpoints_loaded: int

    if TYPE_CHECKING:  # defined by the Runner and its other mixins

        def _can_train(self) -> bool: ...
        def _find_resume_checkpoint(self) -> dict[str, Any] | None: ...
        def _reseed_from(self, checkpoint: Any) -> None: ...
        def _build_training_parts(self, rebuild_schedulers: bool) -> None: ...
        def _prepare_training(
            self, found: dict[str, Any] | None = None, load: Callable[[], None] | None = None
        ) -> Any: ...
        def load_checkpoint(self, filename: str | Path) -> dict[str, Any]: ...

    def load_or_resume(self) -> None:
        """Load ``load_from``, or resume (``resume=True`` / ``resume=PATH`` /
        ``runner.resume(PATH)``), unless this Runner loaded already."""
        step = self._load_step
        if step == "train":
            self._load_for_training()
        elif step is not None:  # val() / test(): the weights only
            self._load_weights_once(step)
        elif not self._load_done:
            self._load_now()

    def _load_for_training(self) -> None:
        """train()'s load: the checkpoint it found, else ``load_from`` (once)."""
        state = self._resume_state
        found, state.found = state.found, None
        if found is not None:
            self._apply_resume(found)
            return
        choice = state.choose("train", loaded=self._load_done)
        if choice is not None and choice.how == "weights":
            self._load_weights(choice.file)
        elif choice is not None and not self._load_done:  # nothing to resume: load_from
            self._load_fallback()

    def _load_fallback(self) -> None:
        """``resume='auto'`` found nothing to resume: start from ``load_from``'s weights."""
        fallback = self._resume_state.fallback_weights
        if fallback is not None:
            self._load_weights(fallback)
            self._load_done = True

    def _load_weights_once(self, step: str) -> None:
        """val()'s and test()'s load: weights only, if nothing was loaded or trained yet."""
        choice = self._resume_state.choose(step, loaded=self._load_done)
        if choice is not None:
            self._load_weights(choice.file)
        self._load_done = True

    def _load_now(self) -> None:
        """A call from user code: load or resume at once (see the module's docs)."""
        state = self._resume_state
        choice = state.choose(None, can_train=self._can_train(), loaded=self._load_done)
        if choice is None:
            return
        if choice.how == "weights":  # load_from, or a Runner that cannot train
            self._load_weights(choice.file)
            return
        checkpoint = self._find_resume_checkpoint()
        if checkpoint is None:  # resume=True in a work dir without checkpoints
            self._load_fallback()
            return
        phase = self._run_phase
        if not phase.in_run:
            phase.ready_train_loop = self._prepare_training(checkpoint, self._load_for_training)
        else:
            state.resumed_from = str(checkpoint["meta"]["resumed_from"])
            self._reseed_from(checkpoint)
            self._build_training_parts(rebuild_schedulers=False)
            self._apply_resume(checkpoint)
            checkpointing.init_optim_counts(self)
        state.preloaded = True  # the next train() neither finds, builds nor loads again
        self._load_done = True

    def _load_weights(self, file: str | Path) -> None:
        """Load the weights of ``file``; :data:`AUTO`: of the newest complete checkpoint of
        the work dir (a warning when it has none)."""
        if file != AUTO:
            with self._mapped(file):
                self.load_checkpoint(file)
            return
        from ..checkpoint.background import wait_for_writes
        from ..checkpoint.find import _latest_with_bytes
        from ..checkpoint.storage import kept_for_load

        wait_for_writes()  # a save of this process still being written: see it whole
        newest, data = _latest_with_bytes(self.work_dir)  # a remote file: downloaded once
        fallback = self._resume_state.fallback_weights
        if newest is None and fallback is not None:
            self._load_weights(fallback)
            return
        if newest is None:
            self.logger.warning(
                "Nothing to resume from: %s holds no complete checkpoint, so the model "
                "keeps its current weights.",
                self.work_dir,
            )
            return
        self.logger.info("Loading the weights of %s, the newest checkpoint", newest)
        with kept_for_load(newest, data), self._mapped(newest):
            self.load_checkpoint(newest)

    def _mapped(self, file: str | Path) -> contextlib.AbstractContextManager[None]:
        """Map ``file`` while ``load_from`` loads it: the checkpoint is dropped once its weights
        are in the model, so they are never held twice (``load_cfg=dict(mmap=False)``: read it).

        A ``load_checkpoint`` of a subclass may keep the checkpoint or save it back to
        its own path (``torch.save`` truncates the file under the mapped tensors: SIGBUS
        and an empty file), so the file is read for one not marked
        :func:`~runner_core.hooks.copies_checkpoint`, as for :func:`may_map`'s hooks.
        """
        from ..checkpoint.safe_load import mapped_for_load
        from ..checkpoint.storage import is_remote

        if (
            not may_map(self)
            or is_remote(file)
            or not leaves_checkpoint_file(self, "load_checkpoint")
        ):
            return contextlib.nullcontext()
        return mapped_for_load(file)

    def _apply_resume(self, checkpoint: dict[str, Any]) -> None:
        checkpointing.apply_resume(self, checkpoint)
        self._checkpoints_loaded += 1  # see _load_at

    def _load_at(self, step: str) -> None:
        """Call ``load_or_resume()`` as ``step`` (``train()``, ``val()``, ``test()``) loads.

        A subclass's own ``load_or_resume`` may call MMEngine's ``self.resume(file)``,
        which loads at once there and only records the file here: when nothing was
        loaded in the call (neither ``load_checkpoint`` nor a resume), what it asked
        for is loaded right after it returns.
        """
        state = self._resume_state
        asked, loads = state.requests, self._checkpoints_loaded
        self._load_step = step
        try:
            self.load_or_resume()
        finally:
            self._load_step = None
            left, state.found = state.found, None  # not applied: a subclass's own method
        if left is not None:
            state.resumed_from = None
        if self._checkpoints_loaded == loads:
            if state.requests != asked:
                self._load_asked(step, left)
            elif left is not None:
                self.logger.warning(
                    "%s.load_or_resume() did not apply the checkpoint %s that train() "
                    "resumes from: training starts from the current weights. Call "
                    "super().load_or_resume() in it to resume.",
                    type(self).__name__,
                    left["meta"]["resumed_from"],
                )
        self._load_done = True

    def _load_asked(self, step: str, found: dict[str, Any] | None) -> None:
        """Load what an overriding ``load_or_resume`` asked for with ``self.resume(file)``."""
        state = self._resume_state
        if step != "train":
            choice = state.choose(step)  # the weights of the file it asked for
            if choice is not None:
                self._load_weights(choice.file)
            return
        same = found is not None and os.path.realpath(str(state.source)) == os.path.realpath(
            found["meta"]["resumed_from"]
        )
        checkpoint = found if same else self._find_resume_checkpoint()
        if checkpoint is None:
            return
        state.resumed_from = str(checkpoint["meta"]["resumed_from"])
        if not same:
            self._reseed_from(checkpoint)
        self._apply_resume(checkpoint)


def may_map(runner: Any) -> bool:
    """Whether ``load_from`` and resume may map the checkpoint file (resume: its weights).

    Not with ``load_cfg=dict(mmap=False)``, nor when a registered hook's
    ``after_load_checkpoint`` is not marked
    :func:`~runner_core.hooks.copies_checkpoint`: the hook is handed the
    checkpoint and may keep it or rewrite the file in place ("load, edit, save
    back"), which a mapping does not survive. Such a load reads the file.
    """
    if not runner.load_cfg.get("mmap", True):
        return False
    return all(leaves_checkpoint_file(hook, "after_load_checkpoint") for hook in runner.hooks)
