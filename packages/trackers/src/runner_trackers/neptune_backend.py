"""``NeptuneVisBackend``: log a run to Neptune (MMEngine's name and options).

Without ``init_kwargs`` the run is kept offline, as in MMEngine (``.neptune/``
in the working directory; ``neptune sync`` uploads it later).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .base import FINISHED, TrackerBackend, checkpoint_tags


def _neptune(module: str = "neptune") -> Any:
    """A neptune module, imported at first use (typed Any: neptune is optional)."""
    return importlib.import_module(module)


class NeptuneVisBackend(TrackerBackend):
    """Log scalars, images, the config and checkpoint paths to a Neptune run.

    Args:
        save_dir: the run folder's ``vis_data`` (passed by the Runner; Neptune
            does not use it).
        init_kwargs: arguments of ``neptune.init_run`` (``project``, ``name``,
            ``tags``, ``mode``, ...). None: ``{'mode': 'offline'}``, as MMEngine;
            the API token is best left to ``$NEPTUNE_API_TOKEN``.
        tracked_config_keys: top-level config keys recorded under ``parameters``
            (None: all); the config text is uploaded whole (``config``), as MMEngine.

    Scalars go to series named by their keys (``loss``, ``accuracy/top1``) with
    the step; images to the ``images`` series; the flattened config to
    ``parameters`` (``parameters/optim_wrapper.optimizer.lr``); the checkpoint
    paths to ``checkpoints/...``; the outcome to ``status`` (FINISHED, FAILED
    or KILLED) and ``sys/failed``.
    """

    library = "neptune"
    extra = "neptune"

    def __init__(
        self,
        save_dir: str | Path | None = None,
        init_kwargs: Mapping[str, Any] | None = None,
        tracked_config_keys: Iterable[str] | None = None,
    ) -> None:
        super().__init__(save_dir, tracked_config_keys)
        self.init_kwargs = {"mode": "offline"} if init_kwargs is None else dict(init_kwargs)
        self._run: Any = None
        self._run_id: str | None = None

    @property
    def experiment(self) -> Any:
        """The ``neptune`` run, started when first read, as MMEngine's (None on other ranks)."""
        self._open_if_new(self._run)
        return self._run

    # -- TrackerBackend ------------------------------------------------------------------
    def start(self) -> None:
        kwargs = dict(self.init_kwargs)
        if self._run_id is not None and "with_id" not in kwargs:
            kwargs["with_id"] = self._run_id  # written to again after close: same run
        self._run = _neptune().init_run(**kwargs)

    def log_config(self, flat: dict[str, Any], text: str) -> None:
        file = _neptune("neptune.types").File
        self._run["config"].upload(file.from_content(text, extension="py"))
        # Neptune stores numbers, strings and booleans; other values as their repr
        self._run["parameters"] = {
            k: v if isinstance(v, (bool, int, float, str)) else repr(v) for k, v in flat.items()
        }

    def log_scalars(self, numbers: dict[str, float], step: int) -> None:
        for key, value in numbers.items():
            self._run[key].append(value, step=step)

    def log_image(self, name: str, array: Any, step: int) -> None:
        """Append the image to the ``images`` series as ``name``."""
        import numpy as np

        file = _neptune("neptune.types").File
        scaled = array.astype(np.float32) / 255.0  # Neptune reads float images in [0, 1]
        self._run["images"].append(file.as_image(scaled), name=name, step=step)

    def log_checkpoints(self, last: str | None, best: dict[str, str]) -> None:
        for key, path in checkpoint_tags(last, best).items():
            self._run[f"checkpoints/{key}"] = path

    def end(self, status: str) -> None:
        self._run["status"] = status
        self._run["sys/failed"] = status != FINISHED
        self._run_id = None
        if self._mode() in ("async", "sync"):  # offline and debug runs cannot be continued
            try:
                self._run_id = str(self._run["sys/id"].fetch())
            except Exception:
                self._run_id = None
        self._run.stop()

    def _mode(self) -> str:
        return str(self.init_kwargs.get("mode") or os.environ.get("NEPTUNE_MODE") or "async")

    def __repr__(self) -> str:
        return f"NeptuneVisBackend(init_kwargs={self.init_kwargs!r})"
