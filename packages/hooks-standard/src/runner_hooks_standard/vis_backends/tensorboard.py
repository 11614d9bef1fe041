"""``TensorBoardVisBackend``: TensorBoard event files through ``SummaryWriter``.

``torch.utils.tensorboard`` is imported at the first write, so configuring
this backend costs nothing until something is logged; a missing
``tensorboard`` package is reported when the backend is built.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runner_core.errors import BuildError
from runner_core.visualization.vis_backend import BaseVisBackend

INSTALL_HINT = "pip install 'runner-hooks-standard[tensorboard]'"


class TensorBoardMissingError(BuildError, ImportError):
    """``tensorboard`` is not installed (MMEngine raises an ImportError, at the first write)."""


class TensorBoardVisBackend(BaseVisBackend):
    """Log scalars (and the config as text) to TensorBoard.

    Args:
        save_dir: the folder; event files go to ``<save_dir>/<log_dir_name>``
            (view with ``tensorboard --logdir <work_dir>``).
        log_dir_name: sub-folder of ``save_dir`` for the event files.
        flush_secs: how often the writer flushes on its own (it also flushes
            on ``flush()``/``close()``, which the LoggerHook calls at the end).
    """

    @classmethod
    def check_dependencies(cls) -> None:
        """Raise ``TensorBoardMissingError`` when ``tensorboard`` is not installed
        (building the backend checks it; ``runner-cli config check`` calls it alone)."""
        if importlib.util.find_spec("tensorboard") is None:
            raise TensorBoardMissingError(
                "TensorBoardVisBackend needs the 'tensorboard' package, which is not installed. "
                f"Install it with: {INSTALL_HINT} (or pip install tensorboard), or remove "
                "TensorBoardVisBackend from visualizer.vis_backends."
            )

    def __init__(
        self, save_dir: str | Path, log_dir_name: str = "tensorboard", flush_secs: int = 30
    ) -> None:
        self.check_dependencies()
        if save_dir is None:
            raise BuildError(
                "TensorBoardVisBackend needs save_dir: build it through the Runner's "
                "visualizer (which passes <run folder>/vis_data) or give save_dir='...'."
            )
        super().__init__(str(save_dir))
        self.save_dir = Path(save_dir)
        self.log_dir = self.save_dir / log_dir_name if log_dir_name else self.save_dir
        self.flush_secs = flush_secs
        self._writer: Any = None

    @property
    def experiment(self) -> Any:
        """The ``SummaryWriter`` (created on first use)."""
        if self._writer is None:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError as exc:  # tensorboard present but broken or too old
                raise ImportError(
                    f"TensorBoardVisBackend could not import torch.utils.tensorboard ({exc}). "
                    f"Install a working tensorboard: {INSTALL_HINT}"
                ) from exc
            self._writer = SummaryWriter(str(self.log_dir), flush_secs=self.flush_secs)
        return self._writer

    def _init_env(self) -> None:
        """Open the ``SummaryWriter`` (MMEngine's hook; the first write also does)."""
        self.experiment  # noqa: B018 - creates the writer

    def add_scalars(
        self,
        scalar_dict: Mapping[str, Any],
        step: int = 0,
        file_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        """One TensorBoard scalar per key; non-numeric values are skipped. A validation
        record's time/data_time go to ``val/...`` (see eval_records)."""
        from .eval_records import separate_eval_keys

        writer = self.experiment
        for key, value in separate_eval_keys(scalar_dict).items():
            number = _number(value)
            if number is not None:
                writer.add_scalar(str(key), number, int(step))

    def add_scalar(self, name: str, value: Any, step: int = 0, **kwargs: Any) -> None:
        """One scalar; a value that is no number is skipped with a warning, as MMEngine's
        (a record's other values, a run's text metrics, are skipped silently)."""
        if _number(value) is None:
            import warnings

            warnings.warn(
                f"TensorboardVisBackend.add_scalar({name!r}): got {type(value).__name__} "
                f"{value!r:.40}, not a number (int, float, a one-element tensor or array); "
                "skipped.",
                stacklevel=2,
            )
            return
        self.add_scalars({name: value}, step=step)

    def add_image(self, name: str, image: Any, step: int = 0, **kwargs: Any) -> None:
        """An (H, W, 3) RGB, RGBA or (H, W) grey image under ``name``."""
        from runner_core.visualization.png import as_image_array

        array = as_image_array(image)
        self.experiment.add_image(
            name, array, int(step), dataformats="HWC" if array.ndim == 3 else "HW"
        )

    def add_config(self, config: Any, **kwargs: Any) -> None:
        text = getattr(config, "pretty_text", None)
        text = text if isinstance(text, str) else str(config)
        # Markdown code block so TensorBoard keeps the indentation.
        self.experiment.add_text("config", "```python\n" + text + "\n```")

    def flush(self) -> None:
        if self._writer is not None:
            self._writer.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __repr__(self) -> str:
        return f"TensorBoardVisBackend(log_dir={str(self.log_dir)!r})"


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "numel", lambda: getattr(value, "size", 1))() == 1:
        try:
            return float(item())
        except (TypeError, ValueError):
            return None
    return None
