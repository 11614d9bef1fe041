"""``ClearMLVisBackend``: log a run to a ClearML task (MMEngine's name and options).

``clearml.Task.set_offline(True)`` (or ``CLEARML_OFFLINE_MODE=1``) keeps the
task on disk for a later ``clearml-task`` import.

``Task.init`` installs ClearML's own handlers for SIGTERM and SIGINT (among
others): on SIGTERM it ends the task and kills the process again, so a
preemption SIGTERM would never reach the runner's clean stop (checkpoint,
exit 143), and a Ctrl-C could not be held while a checkpoint is written. This
backend puts back what those two signals did before ``Task.init``, and again
after ``Task.close`` (which puts back what ClearML saw at ``Task.init``: a
training's handler, stale once training is over); it ends the task itself,
``stopped`` on a preemption stop. A SIGTERM outside training then ends the
process at once, as without ClearML; the ClearML server marks such a task
aborted once it stops reporting (its non-responsive-task watchdog).
"""

from __future__ import annotations

import importlib
import signal
import sys
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .base import (
    FAILED,
    FINISHED,
    KILLED,
    TRACKER_STORES,
    TrackerBackend,
    checkpoint_tags,
    config_dict,
    for_each_file,
    tracked,
    work_dir_files,
)

#: the status message of a task that did not finish
_REASONS = {FAILED: "failed", KILLED: "stopped from outside (Ctrl-C or a preemption signal)"}


def _task_class() -> Any:
    """``clearml.Task``, imported at first use (typed Any: clearml is optional and huge)."""
    return importlib.import_module("clearml").Task


#: the signals the runner handles itself: SIGTERM (the preemption stop) and SIGINT
#: (Ctrl-C, held while a checkpoint is written)
_RUNNER_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _dispositions() -> dict[int, Any]:
    """What the runner's signals do now (a handler set outside Python included)."""
    from runner_core.runner import signal_handlers

    if threading.current_thread() is not threading.main_thread():
        return {}  # only the main thread can change them, ClearML's Task.init included
    return {int(sig): signal_handlers.current(sig) for sig in _RUNNER_SIGNALS}


def _put_back(saved: dict[int, Any]) -> None:
    """Undo what ClearML changed of the runner's signals since ``saved`` was taken."""
    from runner_core.runner import signal_handlers

    for sig, was in saved.items():
        now = signal_handlers.current(sig)
        if (now.kind, now.python) != (was.kind, was.python):
            signal_handlers.restore(sig, was)


class ClearMLVisBackend(TrackerBackend):
    """Log scalars, images, the config and checkpoint paths to a ClearML task.

    Args:
        save_dir: the run folder's ``vis_data`` (passed by the Runner; ClearML
            keeps its own cache).
        init_kwargs: arguments of ``clearml.Task.init`` (``project_name``,
            ``task_name``, ``tags``, ``output_uri``, ...).
        artifact_suffix: work-dir files with these endings are uploaded as task
            artifacts when the run ends (MMEngine's default: the config and the
            checkpoints).
        tracked_config_keys: top-level config keys connected as the task's
            configuration (None: all).

    The task ends ``completed`` when the run finishes, ``failed`` when it
    fails and ``stopped`` (aborted) when it is stopped from outside; the
    checkpoint paths become user properties (``last_checkpoint``,
    ``best_checkpoint``, ``best_checkpoint.<file stem>``).
    """

    library = "clearml"
    extra = "clearml"

    def __init__(
        self,
        save_dir: str | Path | None = None,
        init_kwargs: Mapping[str, Any] | None = None,
        artifact_suffix: str | Iterable[str] = (".py", ".pth"),
        tracked_config_keys: Iterable[str] | None = None,
    ) -> None:
        super().__init__(save_dir, tracked_config_keys)
        self.init_kwargs = dict(init_kwargs or {})
        suffixes = [artifact_suffix] if isinstance(artifact_suffix, str) else artifact_suffix
        self.artifact_suffix = tuple(suffixes)
        self._task: Any = None
        self._tree: dict[str, Any] = {}

    @property
    def experiment(self) -> Any:
        """The ``clearml.Task``, started when first read, as MMEngine's (None on other ranks;
        MMEngine exposes the module)."""
        self._open_if_new(self._task)
        return self._task

    # -- TrackerBackend ------------------------------------------------------------------
    def start(self) -> None:
        kwargs = dict(self.init_kwargs)
        if self._task is not None and "continue_last_task" not in kwargs:
            # written to again after close: continue the same task; an int
            # continue_last_task is the step offset (0: steps as given)
            kwargs.update(reuse_last_task_id=self._task.id, continue_last_task=0)
        saved = _dispositions()
        try:
            self._task = _task_class().init(**kwargs)
        finally:
            _put_back(saved)  # see the module's docstring

    def add_config(self, cfg: Any, **kwargs: Any) -> None:
        """Connect the config (nested, as MMEngine) as the task's configuration."""
        self._tree = tracked(config_dict(cfg), self.tracked_config_keys)
        super().add_config(cfg)

    def log_config(self, flat: dict[str, Any], text: str) -> None:
        self._task.connect_configuration(self._tree)

    def log_scalars(self, numbers: dict[str, float], step: int) -> None:
        logger = self._task.get_logger()
        for key, value in numbers.items():
            logger.report_scalar(title=key, series=key, value=value, iteration=step)

    def log_image(self, name: str, array: Any, step: int) -> None:
        """Report the image under ``name`` at ``step``."""
        self._task.get_logger().report_image(title=name, series=name, iteration=step, image=array)

    def log_checkpoints(self, last: str | None, best: dict[str, str]) -> None:
        self._task.set_user_properties(**checkpoint_tags(last, best))

    def end(self, status: str) -> None:
        # uploading and ending are separate steps: a failed upload still ends the task
        self._attempt("upload the work dir's files as artifacts", self._upload_artifacts)
        Task = _task_class()
        exc = sys.exc_info()[1]
        task_id = self._task.id
        saved = _dispositions()
        try:
            self._task.close()  # flushes the reports; ClearML marks the task completed
        finally:
            _put_back(saved)  # ClearML puts back what it saw at Task.init
        if status == FINISHED or getattr(Task, "is_offline", lambda: False)():
            return
        # a closed task object is read-only in ClearML: a fresh handle sets the outcome
        handle = Task.get_task(task_id=task_id)
        if status == FAILED:
            reason = f"{type(exc).__name__}: {exc}" if exc is not None else _REASONS[FAILED]
            handle.mark_failed(status_reason=reason[:500], force=True)
        else:
            handle.mark_stopped(force=True, status_message=_REASONS[status])

    def _upload_artifacts(self) -> None:
        """Upload each work-dir file with an ``artifact_suffix`` (named by its path in the
        work dir), outside local tracker stores; one error for all failures."""
        work_dir = self._work_dir()
        if work_dir is None or not work_dir.is_dir() or not self.artifact_suffix:
            return

        def upload(path: Path) -> None:
            name = path.relative_to(work_dir).as_posix()
            self._task.upload_artifact(name=name, artifact_object=str(path))

        files = work_dir_files(work_dir, self.artifact_suffix, TRACKER_STORES, [])
        for_each_file(files, work_dir, upload, "uploaded")

    def __repr__(self) -> str:
        return f"ClearMLVisBackend(init_kwargs={self.init_kwargs!r})"
