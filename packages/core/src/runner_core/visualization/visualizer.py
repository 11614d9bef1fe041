"""``Visualizer``: one object hooks write scalars to, many backends behind it.

The Runner builds it from ``visualizer=dict(vis_backends=[...])``; each
backend is built through ``VISBACKENDS`` (entry-point group
``runner.visbackends``), so a third-party package can add an MLflow or W&B
backend without touching this module. Backends receive ``save_dir`` (the run
folder's ``vis_data``) unless their config sets another one.

Unlike MMEngine's, this Visualizer draws nothing and imports no plotting
library: it is a fan-out for scalars and the config.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import BuildError
from ..registry.registry import accepts_argument

_current: weakref.ReferenceType[Visualizer] | None = None


class Visualizer:
    """Send scalars and the config to every configured backend.

    Args:
        vis_backends: backend configs (``dict(type='LocalVisBackend')``) or
            built backends; one config or a list. None means no backend.
        save_dir: the folder given to each backend that takes ``save_dir``
            and whose config does not set one.
        name: a name for this visualizer (kept for MMEngine compatibility).
    """

    def __init__(
        self,
        vis_backends: Any = None,
        save_dir: str | Path | None = None,
        name: str = "visualizer",
    ) -> None:
        global _current
        self.name = name
        self.save_dir = None if save_dir is None else str(save_dir)
        #: the dataset's ``metainfo`` (class names, palette), set by the val/test loops
        self.dataset_meta: dict | None = None
        self._backends: dict[str, Any] = {}
        if isinstance(vis_backends, Mapping) or not isinstance(vis_backends, Sequence):
            vis_backends = [] if vis_backends is None else [vis_backends]
        for i, spec in enumerate(vis_backends):
            backend = self._build_backend(spec, i)
            key = type(backend).__name__
            if key in self._backends:  # two of a kind: keep both, number the second
                key = f"{key}_{i}"
            self._backends[key] = backend
        _current = weakref.ref(self)

    def _build_backend(self, spec: Any, index: int) -> Any:
        if not isinstance(spec, Mapping):
            return spec
        from ..registry import VISBACKENDS

        where = f"visualizer.vis_backends[{index}]"
        cfg = dict(spec)
        kind = cfg.get("type")
        if kind is None:
            raise BuildError(
                f"{where} = {dict(spec)!r} has no 'type'; add e.g. type='LocalVisBackend' or "
                "type='TensorBoardVisBackend'."
            )
        cls = VISBACKENDS.get(kind) if isinstance(kind, str) else kind
        defaults = {}
        if (
            self.save_dir is not None
            and "save_dir" not in cfg
            and accepts_argument(cls, "save_dir")
        ):
            defaults["save_dir"] = self.save_dir
        return VISBACKENDS.build(cfg, default_args=defaults, _key_path=where)

    # -- MMEngine-style access ---------------------------------------------------------
    @classmethod
    def get_current_instance(cls) -> Visualizer | None:
        """The most recently built visualizer (so a model can log without the runner)."""
        found = _current() if _current is not None else None
        return found if isinstance(found, cls) else None

    @property
    def backends(self) -> dict[str, Any]:
        """Backends by class name (``'LocalVisBackend'``)."""
        return dict(self._backends)

    def get_backend(self, name: str) -> Any:
        """The backend of that class name, or None."""
        return self._backends.get(name)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._backends.values())

    def __len__(self) -> int:
        return len(self._backends)

    # -- writing -------------------------------------------------------------------------
    def add_scalars(
        self, scalar_dict: Mapping[str, Any], step: int = 0, file_path: str | None = None
    ) -> None:
        """Record several scalars at ``step`` in every backend.

        ``file_path`` (a file name for backends that write files) is passed
        only when given, so backends that do not know it still work.
        """
        if file_path is None:
            for backend in self._backends.values():
                backend.add_scalars(scalar_dict, step=step)
        else:
            for backend in self._backends.values():
                backend.add_scalars(scalar_dict, step=step, file_path=file_path)

    def add_scalar(self, name: str, value: Any, step: int = 0) -> None:
        """Record one scalar at ``step`` in every backend."""
        for backend in self._backends.values():
            if hasattr(backend, "add_scalar"):
                backend.add_scalar(name, value, step=step)
            else:
                backend.add_scalars({name: value}, step=step)

    def add_config(self, cfg: Any) -> None:
        """Give the run's config to every backend that records configs."""
        for backend in self._backends.values():
            if hasattr(backend, "add_config"):
                backend.add_config(cfg)

    def flush(self) -> None:
        for backend in self._backends.values():
            if hasattr(backend, "flush"):
                backend.flush()

    def close(self) -> None:
        """Flush and close every backend (backends reopen if written to again)."""
        for backend in self._backends.values():
            if hasattr(backend, "close"):
                backend.close()

    def __enter__(self) -> Visualizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Visualizer(backends=[{', '.join(self._backends)}], save_dir={self.save_dir!r})"
