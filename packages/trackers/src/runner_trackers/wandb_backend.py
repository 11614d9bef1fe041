"""``WandbVisBackend``: log a run to Weights & Biases (MMEngine's name and options).

``WANDB_MODE=offline`` keeps everything on disk (``wandb sync`` uploads it later).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .base import FAILED, FINISHED, KILLED, TrackerBackend

#: the exit code W&B records for each outcome (it has no separate "killed" state)
EXIT_CODES = {FINISHED: 0, FAILED: 1, KILLED: 130}


class WandbVisBackend(TrackerBackend):
    """Log scalars, the config and checkpoint paths to W&B.

    Args:
        save_dir: the run folder's ``vis_data`` (passed by the Runner); W&B writes
            its ``wandb/`` folder there unless ``init_kwargs`` sets ``dir``.
        init_kwargs: arguments of ``wandb.init`` (``project``, ``name``, ``tags``, ...).
        define_metric_cfg: ``{metric: summary}`` (e.g. ``{'accuracy/top1': 'max'}``)
            or a list of ``wandb.define_metric`` keyword dicts.
        commit: passed to ``wandb.log``: False accumulates values until the next commit.
        log_code_name: a name under which the source code is saved (None: not saved).
        watch_kwargs: not supported (``wandb.watch`` needs the model); must be None.
        tracked_config_keys: top-level config keys recorded in ``wandb.config`` (None: all).
    """

    library = "wandb"
    extra = "wandb"

    def __init__(
        self,
        save_dir: str | Path | None = None,
        init_kwargs: Mapping[str, Any] | None = None,
        define_metric_cfg: Mapping[str, str] | Sequence[Mapping[str, Any]] | None = None,
        commit: bool = True,
        log_code_name: str | None = None,
        watch_kwargs: Mapping[str, Any] | None = None,
        tracked_config_keys: Sequence[str] | None = None,
    ) -> None:
        super().__init__(save_dir, tracked_config_keys)
        if watch_kwargs:
            from runner_core.errors import BuildError

            raise BuildError(
                "WandbVisBackend(watch_kwargs=...) is not supported: the backend never sees the "
                "model. Remove watch_kwargs, or call wandb.watch(model) in your own hook."
            )
        self.init_kwargs = dict(init_kwargs or {})
        self.define_metric_cfg = define_metric_cfg
        self.commit = commit
        self.log_code_name = log_code_name
        self._run: Any = None

    @property
    def experiment(self) -> Any:
        """The ``wandb`` run, started when first read, as MMEngine's (None on other ranks)."""
        self._open_if_new(self._run)
        return self._run

    def start(self) -> None:
        import wandb

        kwargs = dict(self.init_kwargs)
        if self.save_dir is not None and "dir" not in kwargs:
            self.save_dir.mkdir(parents=True, exist_ok=True)
            kwargs["dir"] = str(self.save_dir)
        if self._run is not None and "id" not in kwargs:  # written to again after close
            kwargs.update(id=self._run.id, resume="allow")
        self._run = wandb.init(**kwargs)
        cfg = self.define_metric_cfg
        if isinstance(cfg, Mapping):
            for metric, summary in cfg.items():
                self._run.define_metric(metric, summary=summary)
        elif cfg:
            for spec in cfg:
                self._run.define_metric(**spec)
        if self.log_code_name:
            self._run.log_code(name=self.log_code_name)

    def log_config(self, flat: dict[str, Any], text: str) -> None:
        self._run.config.update(flat, allow_val_change=True)

    def log_scalars(self, numbers: dict[str, float], step: int) -> None:
        # no step= here: W&B drops values whose step goes back, and validation is
        # logged per epoch while training is logged per iteration (MMEngine does the same)
        self._run.log(numbers, commit=self.commit)

    def log_image(self, name: str, array: Any, step: int) -> None:
        import wandb

        self._run.log({name: wandb.Image(array)}, commit=self.commit)

    def log_checkpoints(self, last: str | None, best: dict[str, str]) -> None:
        if last is not None:
            self._run.summary["last_checkpoint"] = last
        for stem, path in best.items():
            self._run.summary[f"best_checkpoint/{stem}"] = path

    def end(self, status: str) -> None:
        self._run.finish(exit_code=EXIT_CODES[status])

    def __repr__(self) -> str:
        return f"WandbVisBackend(init_kwargs={self.init_kwargs!r})"
