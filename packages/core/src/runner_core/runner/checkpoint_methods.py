"""The Runner's checkpoint methods: save, load weights, resume.

A mixin of :class:`~runner_core.runner.Runner` (one concept per module); the
work is done by :mod:`.checkpointing`, these are the public entry points and
the bookkeeping of what was loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..hooks.checkpoint_use import copies_checkpoint
from . import checkpointing
from .randomness import set_random_seed
from .resume import ResumeState

if TYPE_CHECKING:
    import logging

    from ..checkpoint.background import BackgroundWriter
    from ..checkpoint.storage import RemotePath
    from ..logging import MessageHub


class CheckpointMethods:
    """``save_checkpoint``, ``load_checkpoint``, ``resume`` (MMEngine's names)."""

    # set by Runner.__init__
    work_dir: Path
    seed: int
    rank: int
    randomness_cfg: dict[str, Any]
    logger: logging.Logger
    message_hub: MessageHub
    _train_loop: Any
    _resume_state: ResumeState
    _load_done: bool
    _checkpoints_loaded: int

    def save_checkpoint(
        self,
        out_dir: str | Path,
        filename: str,
        file_client_args: Mapping[str, Any] | None = None,
        save_optimizer: bool = True,
        save_param_scheduler: bool = True,
        meta: Mapping[str, Any] | None = None,
        by_epoch: bool = True,
        backend_args: Mapping[str, Any] | None = None,
        *,
        update_pointer: bool | None = None,
        fsync: bool | None = None,
        background: BackgroundWriter | None = None,
        after_write: Callable[[Path | RemotePath], object] | None = None,
    ) -> Path | RemotePath | None:
        """Save the training state atomically; return the path (on rank 0).

        MMEngine's arguments in MMEngine's order; ``by_epoch`` is accepted and
        not needed (the loop's own position is recorded). An ``out_dir`` URL
        (``'s3://bucket/exp'``), or ``backend_args`` / ``file_client_args``
        naming a storage backend, saves through a backend registered with
        ``runner_core.fileio.register_backend`` (its ``put``; the path returned
        is then a :class:`~runner_core.checkpoint.RemotePath`, the URL).
        ``update_pointer=True`` also points ``last_checkpoint`` at the file,
        which a resume then starts from; a plain call (an export) leaves the
        pointer alone, as MMEngine's does. ``fsync=False`` skips flushing to
        disk (faster; a power loss may then lose the newest checkpoint, never
        corrupt an older one). With ``background`` the state is copied to host
        memory now and written by that writer's thread; ``after_write(path)``
        runs once file and pointer are in place. The four keyword-only options
        left out come from :func:`~runner_core.checkpoint.save_options.checkpoint_save_options`
        around the call (for a subclass overriding this method with MMEngine's
        signature), else ``False, True, None, None``.
        """
        from ..checkpoint.save_options import take_save_options
        from ..checkpoint.storage import RemotePath, save_target_in

        options = take_save_options()
        if update_pointer is None:
            update_pointer = options.update_pointer
        if fsync is None:
            fsync = options.fsync
        background = background if background is not None else options.background
        after_write = after_write if after_write is not None else options.after_write

        target = save_target_in(
            out_dir, filename, file_client_args, backend_args, call="Runner.save_checkpoint"
        )
        if update_pointer and isinstance(target, RemotePath):  # refused before the upload
            from ..checkpoint.find import POINTER_NAME, pointer_fault
            from ..errors import ConfigError

            fault = pointer_fault(Path(self.work_dir) / POINTER_NAME, target)
            if fault is not None:
                raise ConfigError(fault)
        if meta is not None and not isinstance(meta, Mapping):
            from ..errors import ConfigTypeError

            raise ConfigTypeError(
                f"save_checkpoint(meta={meta!r}): meta should be a dict or None, got "
                f"{type(meta).__name__}. Pass e.g. meta=dict(note={meta!r})."
            )
        return checkpointing.save(
            self,
            None if isinstance(self._train_loop, Mapping) else self._train_loop,  # not built
            target,
            save_optimizer,
            save_param_scheduler,
            meta,
            update_pointer,
            fsync,
            background,
            after_write,
            options.every_rank,
        )

    @copies_checkpoint  # loads into the model: load_from may map the file
    def load_checkpoint(
        self,
        filename: str | Path,
        map_location: Any = "cpu",
        strict: bool | None = None,
        revise_keys: list[tuple[str, str]] | None = None,
        *,
        allow_pickle: bool | None = None,
    ) -> dict[str, Any]:
        """Load weights only (``load_from``).

        Once weights are loaded, ``load_from`` is no longer applied by ``train()``,
        ``val()`` or ``test()``, as in MMEngine: the weights loaded here stay.
        ``strict=None`` takes ``load_cfg``'s ``strict``, else False (MMEngine's
        default): keys that do not match are reported as a warning, not an error.
        ``allow_pickle=True`` loads a file that needs full unpickling (only one you
        trust); None takes ``load_cfg``'s, refusing such files by default.
        """
        checkpoint = checkpointing.load_weights(
            self, filename, map_location, strict, revise_keys, allow_pickle
        )
        self._load_done = True
        self._checkpoints_loaded += 1  # see LoadOrResume._load_at
        return checkpoint

    def resume(
        self,
        filename: str | Path,
        resume_optimizer: bool = True,
        resume_param_scheduler: bool = True,
        map_location: Any = "default",
    ) -> None:
        """Resume the whole training state from ``filename`` when ``train()`` runs.

        The same as ``resume=filename`` (or MMEngine's ``load_from=filename,
        resume=True``) in the constructor. ``resume_optimizer=False`` /
        ``resume_param_scheduler=False`` keep the freshly built optimizer /
        schedulers. ``map_location`` is accepted for MMEngine's calls: the
        state is read on the CPU and moved to each part's own device.
        """
        self._resume_state.request(filename)
        # a new resume supersedes what was loaded before: load_or_resume(), val(), test()
        # and train() load it (MMEngine's resume() loads at once); a training loop an
        # earlier load_or_resume() prepared stays, and train() loads into it
        self._load_done = False
        self._resume_state.resume_optimizer = bool(resume_optimizer)
        self._resume_state.resume_param_scheduler = bool(resume_param_scheduler)

    def _find_resume_checkpoint(self) -> dict[str, Any] | None:
        if not self._resume_state.requested:
            return None
        return checkpointing.find_resume_checkpoint(self)

    def _reseed_from(self, checkpoint: Mapping[str, Any]) -> None:
        """Seed as the checkpoint's run was: its seed (rank 0's, the one all ranks share)
        and its ``diff_rank_seed``, which every rank's streams, and so its data, follow."""
        meta = checkpoint.get("meta", {})
        seed = meta.get("seed")
        per_rank = meta.get("diff_rank_seed")
        configured = bool(self.randomness_cfg.get("diff_rank_seed", False))
        flag_changed = isinstance(per_rank, bool) and per_rank != configured
        if flag_changed:
            self.logger.warning(
                "The checkpoint was trained with diff_rank_seed=%s; resuming with it instead "
                "of %s.",
                per_rank,
                configured,
            )
            self.randomness_cfg["diff_rank_seed"] = per_rank
        shared_now = self.seed - self.rank if configured else self.seed
        if seed is None and flag_changed:  # a checkpoint without its seed: keep this run's
            seed = shared_now
        if seed is not None and (seed != shared_now or flag_changed):
            if seed != shared_now and self.randomness_cfg.get("seed") is not None:
                self.logger.warning(
                    "The checkpoint was trained with seed %s; resuming with it instead of %s.",
                    seed,
                    shared_now,
                )
            self.seed = set_random_seed(
                seed,
                self.randomness_cfg.get("deterministic", False),
                self.randomness_cfg.get("diff_rank_seed", False),
            )
            self.message_hub.update_info("seed", self.seed)
