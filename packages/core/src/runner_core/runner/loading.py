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
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import checkpointing
from .resume import AUTO, ResumeState

if TYPE_CHECKING:
    import logging
    from pathlib import Path


class LoadOrResume:
    """``load_or_resume()`` and the load step of ``train()``, ``val()`` and ``test()``."""

    # set by Runner.__init__
    logger: logging.Logger
    _resume_state: ResumeState
    _has_loaded: bool
    #: which run method is loading ("train", "val", "test"); None: a call from user code
    _load_step: str | None
    #: between before_run and after_run (hooks are set up)
    _in_run: bool
    #: the train loop a load_or_resume() before any run prepared, for the next train()
    _ready_train_loop: Any
    #: how many checkpoints reached ``after_load_checkpoint`` (every load and resume does)
    _checkpoints_loaded: int

    if TYPE_CHECKING:  # defined by the Runner and its other mixins

        def _can_train(self) -> bool: ...
        def _find_resume_checkpoint(self) -> dict[str, Any] | None: ...
        def _reseed_from(self, checkpoint: Any) -> None: ...
        def _load_once(self) -> None: ...
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
            self._load_once()
        elif not self._has_loaded:
            self._load_now()

    def _load_for_training(self) -> None:
        """train()'s load: the checkpoint it found, else ``load_from`` (once)."""
        state = self._resume_state
        found, state.found = state.found, None
        if found is not None:
            checkpointing.apply_resume(self, found)
        elif state.weights_from is not None and not self._has_loaded:
            self.load_checkpoint(state.weights_from)

    def _load_now(self) -> None:
        """A call from user code: load or resume at once (see the module's docs)."""
        state = self._resume_state
        if state.requested and self._can_train():
            checkpoint = self._find_resume_checkpoint()
            if checkpoint is None:  # resume=True in a work dir without checkpoints
                return
            if not self._in_run:
                self._ready_train_loop = self._prepare_training(checkpoint, self._load_for_training)
            else:
                state.resumed_from = str(checkpoint["meta"]["resumed_from"])
                self._reseed_from(checkpoint)
                self._build_training_parts(rebuild_schedulers=False)
                checkpointing.apply_resume(self, checkpoint)
                checkpointing.init_optim_counts(self)
            state.preloaded = True  # the next train() neither finds, builds nor loads again
            self._has_loaded = True
            return
        source = state.weights_from or (state.source if state.source != AUTO else None)
        if source is not None:  # load_from, or a Runner that cannot train: weights only
            self.load_checkpoint(source)

    def _load_at(self, step: str) -> None:
        """Call ``load_or_resume()`` as ``step`` (``train()``, ``val()``, ``test()``) loads.

        A subclass's own ``load_or_resume`` may call MMEngine's ``self.resume(file)``,
        which loads at once there and only records the file here: when nothing was
        loaded in the call (no checkpoint reached ``after_load_checkpoint``), what it
        asked for is loaded right after it returns.
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
        self._has_loaded = True

    def _load_asked(self, step: str, found: dict[str, Any] | None) -> None:
        """Load what an overriding ``load_or_resume`` asked for with ``self.resume(file)``."""
        state = self._resume_state
        if step != "train":
            if state.source not in (None, AUTO):
                self.load_checkpoint(state.source)  # type: ignore[arg-type]
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
        checkpointing.apply_resume(self, checkpoint)
