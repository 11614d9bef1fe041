"""``ResumeState``: everything about resuming a run, in one object the Runner owns.

Which file to resume from (``resume=PATH``, ``resume='auto'``, or the
MMEngine spellings ``load_from=PATH, resume=True`` and ``runner.resume(PATH)``),
the random streams still to hand back, whether
gradients of an interrupted accumulation window were carried over, and the
checkpoint metadata that never changes during a run. Checkpointing reads and
writes these fields; loops never touch them directly: they iterate their data
through :meth:`runner_core.loop.BaseLoop.iter_batches`, which hands the random
streams back at the moment that matches the checkpoint.

When the streams are handed back: a checkpoint taken at an epoch boundary
resumes with them restored right before ``before_train_epoch``; one taken
inside an epoch, right after the data iterator was created at the saved batch
(the uninterrupted run created its iterator before the checkpoint). Whatever
comes first of those moments and ``before_train_iter`` restores them, so a
loop that calls the standard hook points resumes exactly without knowing any
of this.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

if TYPE_CHECKING:
    from ..hooks import HookManager

#: the value of ``source`` that means "the newest complete checkpoint in the work dir"
AUTO = "auto"

#: the entries of a checkpoint a resume maps from the file rather than reads
#: (``load_checkpoint(mmap=...)``): weights, copied into the model (and its EMA copy) and
#: dropped. The rest is read into memory: the optimizer keeps the loaded state tensors
#: themselves, which must not depend on the file staying as it is.
MAPPED_ON_RESUME = ("state_dict", "ema_state_dict")


class LoadChoice(NamedTuple):
    """What one load step reads (:meth:`ResumeState.choose`)."""

    #: ``"resume"``: the whole training state; ``"weights"``: the model's weights only
    how: Literal["resume", "weights"]
    #: a checkpoint file, or :data:`AUTO`: the newest complete checkpoint of the work dir
    file: str | Path


class ResumeState:
    """What to resume from and what a resumed run still has to hand over."""

    def __init__(self, resume: bool | str | Path = False, load_from: str | Path | None = None):
        #: None (no resume), ``'auto'`` or the path of the checkpoint to resume from
        self.source: str | Path | None = None
        #: weights to load when not resuming (``load_from`` without ``resume``)
        self.weights_from: str | Path | None = None
        #: ``resume='auto'`` with ``load_from``: the weights to start from when the work
        #: dir holds no checkpoint yet (a fine-tune that resumes itself after preemption)
        self.fallback_weights: str | Path | None = None
        #: ``resume`` as the user wrote it, for messages
        self.asked: bool | str | Path = resume
        #: how many times :meth:`request` was called (a resume asked for meanwhile)
        self.requests = 0
        self.request(resume, load_from)
        #: the checkpoint file the last ``train()`` resumed from, once it was loaded (None
        #: before, or without a resume): ``source`` resolved, the newest checkpoint of the
        #: work dir for ``'auto'``, so messages can name the file
        self.resumed_from: str | None = None
        #: ``runner.resume(..., resume_optimizer=False / resume_param_scheduler=False)``
        self.resume_optimizer = True
        self.resume_param_scheduler = True
        #: whether the checkpoint lost no accumulated gradients: it carried an unfinished
        #: window's, or (one of ours) had none open
        self.carried_grads = False
        #: each optim wrapper's update count as the checkpoint stored it (``optim_counts``)
        self.optim_counts: int | dict[str, int] | None = None
        #: set while validating inside training: the streams a checkpoint must record
        self.training_rng: dict[str, Any] | None = None
        #: checkpoint metadata computed once per run (versions, config text)
        self.static_meta: dict[str, Any] | None = None
        #: the run's first save checked its checkpoint for objects the safe loader
        #: refuses (said in the log); later saves are not walked again
        self.unsafe_checked = False
        #: the streams as they were when the current pass over the training data (epoch)
        #: started, kept only for a loader that cannot start mid-pass: a checkpoint taken
        #: inside the pass stores them, so that a resume draws the pass's order again
        self.pass_rng: dict[str, Any] | None = None
        #: the checkpoint ``train()`` found, until its ``load_or_resume()`` applies it
        self.found: dict[str, Any] | None = None
        #: ``load_or_resume()`` from user code resumed already: the next ``train()``
        #: neither finds, builds nor loads again
        self.preloaded = False
        self._pending_rng: dict[str, Any] | None = None
        self._pending_pass_rng: dict[str, Any] | None = None
        self._resumed_pass_pending = False

    # -- what to load ----------------------------------------------------------------
    def request(self, resume: bool | str | Path, load_from: str | Path | None = None) -> None:
        """Normalise the ways of asking for a resume into ``source``.

        ``resume=PATH`` is the canonical form; ``resume=True`` with
        ``load_from=PATH`` (MMEngine's) resumes from that file, ``resume=True``
        alone or ``resume='auto'`` from the newest checkpoint in the work dir.
        ``resume='auto'`` with ``load_from=PATH`` resumes the work dir's newest
        checkpoint and, while it has none, starts from the weights of ``PATH``.
        """
        self.requests += 1
        self.asked = resume
        if isinstance(load_from, str) and load_from == AUTO:
            load_from = _auto_load_from(resume)
        self.fallback_weights = None
        if resume is True:
            self.source = load_from if load_from is not None else AUTO
            self.weights_from = None
        elif isinstance(resume, (str, Path)) and str(resume) != "":
            self.source = AUTO if str(resume) == AUTO else resume
            self.weights_from = None
            if self.source == AUTO:
                self.fallback_weights = load_from
        else:
            self.source = None
            self.weights_from = load_from

    @property
    def requested(self) -> bool:
        """Whether this run resumes (from a file or the work dir)."""
        return self.source is not None

    @property
    def named_file(self) -> str | Path | None:
        """The checkpoint file ``load_from`` / ``resume`` name; None for none, or for the
        newest checkpoint of the work dir unless ``load_from`` backs it up (MMEngine's
        ``runner._load_from``)."""
        file = self.weights_from if self.weights_from is not None else self.source
        return self.fallback_weights if file == AUTO else file

    def choose(
        self, step: str | None, *, can_train: bool = False, loaded: bool = False
    ) -> LoadChoice | None:
        """Which checkpoint a load step reads, and how; None: nothing.

        The one place that decides, for ``train()``, ``val()``, ``test()``
        (``step`` ``"train"``, ``"val"``, ``"test"``) and ``load_or_resume()``
        called from user code (``step`` None). ``loaded``: weights were loaded
        already (``runner.load_checkpoint``, an earlier run or load).

        A resume asked for is resumed by ``train()`` (even after a
        ``load_checkpoint``), and by a call from user code on a Runner that can
        train. ``val()``, ``test()`` and a Runner that cannot train load its
        weights (the newest checkpoint's for :data:`AUTO`), as MMEngine's
        ``val()`` ends up doing: its resume loads them. Otherwise ``load_from``
        loads its weights. Nothing is loaded twice, except a resume by ``train()``.
        """
        if self.source is not None and (step == "train" or (step is None and can_train)):
            return None if loaded and step is None else LoadChoice("resume", self.source)
        file = self.weights_from if self.weights_from is not None else self.source
        if loaded or file is None:
            return None
        return LoadChoice("weights", file)

    # -- random streams --------------------------------------------------------------
    @property
    def has_pending_rng(self) -> bool:
        return self._pending_rng is not None

    @property
    def pending_rng(self) -> dict[str, Any] | None:
        """The checkpoint's streams while the resumed loop has not reached its moment (a
        checkpoint saved meanwhile records them), else None."""
        return self._pending_rng

    @property
    def pending_pass_rng(self) -> dict[str, Any] | None:
        """The streams the interrupted pass started with, until the loop takes them."""
        return self._pending_pass_rng

    def hand_over(
        self,
        rng: dict[str, Any] | None,
        hooks: HookManager,
        mid_epoch: bool,
        pass_rng: dict[str, Any] | None = None,
    ) -> None:
        """Keep ``rng`` until the resumed loop reaches the checkpoint's moment.

        ``mid_epoch``: the checkpoint was taken inside an epoch, so
        ``before_train_epoch`` comes before that moment and must not restore.
        ``pass_rng``: the streams the interrupted pass started with (see
        :attr:`pass_rng`), for the loop to draw the pass's order under again.
        """
        self._pending_rng = rng
        self._pending_pass_rng = pass_rng if mid_epoch else None
        self._resumed_pass_pending = True
        if rng is None:
            return
        points = ["before_train_iter"] if mid_epoch else ["before_train_epoch", "before_train_iter"]
        hooks.once_before(points, self.restore_rng)

    def take_resumed_pass(self) -> tuple[bool, dict[str, Any] | None]:
        """For the training loop's next pass: whether it is the first of a resumed run,
        and the streams the interrupted pass started with (None without them); once."""
        first, self._resumed_pass_pending = self._resumed_pass_pending, False
        pass_rng, self._pending_pass_rng = self._pending_pass_rng, None
        return first, pass_rng

    def restore_rng(self) -> None:
        """Put the checkpoint's random streams back now (once; later calls do nothing)."""
        rng, self._pending_rng = self._pending_rng, None
        if rng is not None:
            from .randomness import restore_rng_state

            restore_rng_state(rng)

    def __repr__(self) -> str:
        return (
            f"ResumeState(source={self.source!r}, weights_from={self.weights_from!r}, "
            f"fallback_weights={self.fallback_weights!r}, "
            f"pending_rng={self.has_pending_rng})"
        )


def _auto_load_from(resume: bool | str | Path) -> str:
    """``load_from='auto'``: a file of that name in the current folder (as MMEngine reads
    it), else an error: ``'auto'`` is a value of ``resume``, not of ``load_from``."""
    if os.path.isfile(AUTO):
        return os.path.join(os.curdir, AUTO)  # the file, never the work dir's newest
    from ..errors import ConfigFileNotFoundError

    if resume is True:
        fix = (
            "Leave load_from unset: resume=True alone resumes from the newest checkpoint of "
            "the work dir"
        )
    else:
        fix = (
            "To resume from the newest checkpoint of the work dir, use resume='auto' (or "
            "resume=True) without load_from"
        )
    raise ConfigFileNotFoundError(
        "load_from='auto' names no checkpoint file: load_from loads the weights of one file, "
        f"and there is no file named 'auto' in {os.getcwd()!r}. {fix}; to start from the "
        "weights of another run, give the path of its checkpoint."
    )


def is_mid_epoch(loop_state: Mapping[str, Any]) -> bool:
    """Whether a loop position (``BaseLoop.state_dict()``) lies inside an epoch."""
    return bool(loop_state.get("mid_epoch", int(loop_state.get("batch_in_epoch", 0)) > 0))
