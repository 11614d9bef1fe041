"""``AimVisBackend``: log a run to an Aim repository (MMEngine's name and options)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .base import TrackerBackend


class AimVisBackend(TrackerBackend):
    """Log scalars, the config and checkpoint paths to Aim.

    Args:
        save_dir: the run folder's ``vis_data`` (passed by the Runner); the Aim
            repository is created there unless ``init_kwargs`` sets ``repo``.
        init_kwargs: arguments of ``aim.Run`` (``repo``, ``experiment``, ...).
        tracked_config_keys: top-level config keys stored under ``hparams`` (None: all).
    """

    library = "aim"
    extra = "aim"

    def __init__(
        self,
        save_dir: str | Path | None = None,
        init_kwargs: Mapping[str, Any] | None = None,
        tracked_config_keys: Iterable[str] | None = None,
    ) -> None:
        super().__init__(save_dir, tracked_config_keys)
        self.init_kwargs = dict(init_kwargs or {})
        if "repo" not in self.init_kwargs:
            base = self.save_dir if self.save_dir is not None else Path.cwd()
            self.init_kwargs["repo"] = str(base)
        self._run: Any = None

    @property
    def experiment(self) -> Any:
        """The ``aim.Run``, started when first read, as MMEngine's (None on other ranks)."""
        self._open_if_new(self._run)
        return self._run

    def start(self) -> None:
        from aim import Run

        Path(self.init_kwargs["repo"]).mkdir(parents=True, exist_ok=True)
        kwargs = dict(self.init_kwargs)
        if self._run is not None:  # written to again after close: continue the same run
            kwargs["run_hash"] = self._run.hash
        self._run = Run(**kwargs)

    def log_config(self, flat: dict[str, Any], text: str) -> None:
        self._run["hparams"] = {
            k: v if isinstance(v, (bool, int, float, str)) or v is None else repr(v)
            for k, v in flat.items()
        }

    def log_scalars(self, numbers: dict[str, float], step: int) -> None:
        for key, value in numbers.items():
            self._run.track(value, name=key, step=step)

    def log_image(self, name: str, array: Any, step: int) -> None:
        from aim import Image

        self._run.track(Image(array), name=name, step=step)

    def log_checkpoints(self, last: str | None, best: dict[str, str]) -> None:
        paths = {"last": last} if last else {}
        paths.update(best)
        self._run["checkpoints"] = paths

    def end(self, status: str) -> None:
        self._run["status"] = status
        self._run.close()

    def __repr__(self) -> str:
        return f"AimVisBackend(repo={self.init_kwargs['repo']!r})"
