"""``DVCLiveVisBackend``: metrics and params as DVCLive files (MMEngine's name and options).

DVCLive writes plain files (``metrics.json``, ``params.yaml``,
``plots/metrics/<key>.tsv``) that ``dvc plots`` and ``dvc exp`` read.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .base import TRACKER_STORES, TrackerBackend, for_each_file, work_dir_files

_DVC_INIT_LOCK = threading.Lock()


@contextlib.contextmanager
def _no_dvc_init() -> Iterator[None]:
    """While ``Live`` starts: use the DVC repository the run is in, if any, but never make one.

    Outside a DVC repository, dvclive runs ``dvc init`` at the root of the
    enclosing git checkout, which writes ``.dvc/`` and stages it in the user's
    git index. Without an experiment to save there is no need for a DVC
    repository: dvclive then writes its files alone. ``get_dvc_repo`` is the
    one function dvclive asks (dvclive has no option for this).
    """
    import dvclive.live as live_module

    def existing_repo() -> Any:
        from dvc.repo import Repo  # type: ignore[import-untyped]

        try:
            return Repo()
        except Exception:  # NotDvcRepoError, SCMError: no repository here
            return None

    with _DVC_INIT_LOCK:
        found = live_module.get_dvc_repo
        live_module.get_dvc_repo = existing_repo
        try:
            yield
        finally:
            live_module.get_dvc_repo = found


class DVCLiveVisBackend(TrackerBackend):
    """Log scalars, the config and checkpoint paths with DVCLive.

    Args:
        save_dir: the run folder's ``vis_data`` (passed by the Runner); files go
            to ``<save_dir>/dvclive`` unless ``init_kwargs`` sets ``dir``.
        artifact_suffix: work-dir files with these endings are copied into the
            DVCLive folder's ``artifacts/`` when the run ends.
        init_kwargs: arguments of ``dvclive.Live``; by default no DVC experiment
            is saved and no dvc.yaml written (``save_dvc_exp=False, dvcyaml=None``),
            and a git checkout that is no DVC repository is left as it is (dvclive
            itself would run ``dvc init`` there).
        tracked_config_keys: top-level config keys written to params.yaml (None: all).
    """

    library = "dvclive"
    extra = "dvclive"

    def __init__(
        self,
        save_dir: str | Path | None = None,
        artifact_suffix: str | Iterable[str] = (".json", ".py", "yaml"),
        init_kwargs: Mapping[str, Any] | None = None,
        tracked_config_keys: Iterable[str] | None = None,
    ) -> None:
        super().__init__(save_dir, tracked_config_keys)
        suffixes = [artifact_suffix] if isinstance(artifact_suffix, str) else artifact_suffix
        self.artifact_suffix = tuple(suffixes)
        self.init_kwargs = {"save_dvc_exp": False, "dvcyaml": None, **dict(init_kwargs or {})}
        if "dir" not in self.init_kwargs:
            base = self.save_dir if self.save_dir is not None else Path.cwd()
            self.init_kwargs["dir"] = str(base / "dvclive")
        self._live: Any = None

    @property
    def experiment(self) -> Any:
        """The ``dvclive.Live`` object, started when first read, as MMEngine's (None on
        other ranks)."""
        self._open_if_new(self._live)
        return self._live

    @property
    def dir(self) -> Path:
        return Path(self.init_kwargs["dir"])

    def start(self) -> None:
        from dvclive import Live

        kwargs = dict(self.init_kwargs)
        if self._live is not None:  # written to again after close: keep appending
            kwargs["resume"] = True
        # an experiment to save needs a DVC repository: dvclive may make one then
        with contextlib.nullcontext() if kwargs.get("save_dvc_exp") else _no_dvc_init():
            self._live = Live(**kwargs)

    def log_config(self, flat: dict[str, Any], text: str) -> None:
        plain = {
            k: v if isinstance(v, (bool, int, float, str)) else repr(v) for k, v in flat.items()
        }
        self._live.log_params(plain)

    def log_scalars(self, numbers: dict[str, float], step: int) -> None:
        self._live.step = step
        for key, value in numbers.items():
            self._live.log_metric(key, value)

    def log_image(self, name: str, array: Any, step: int) -> None:
        self._live.step = step
        self._live.log_image(f"{name}.png", array)  # dvclive writes it with Pillow

    def log_checkpoints(self, last: str | None, best: dict[str, str]) -> None:
        paths = {"last_checkpoint": last} if last else {}
        paths.update({f"best_checkpoint/{k}": v for k, v in best.items()})
        self._live.log_params(paths)

    def end(self, status: str) -> None:
        # copying and ending are separate steps: a file that cannot be copied still ends the run
        self._attempt("copy the work dir's files as artifacts", self._copy_artifacts)
        self._live.log_params({"status": status})
        self._live.end()

    def _copy_artifacts(self) -> None:
        """Copy each matching work-dir file on its own; one error for all failures."""
        import shutil

        work_dir = self._work_dir()
        if work_dir is None or not work_dir.is_dir() or not self.artifact_suffix:
            return
        target = self.dir / "artifacts"

        def copy(path: Path) -> None:
            rel = path.relative_to(work_dir)
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / rel)

        files = work_dir_files(work_dir, self.artifact_suffix, TRACKER_STORES, [self.dir])
        for_each_file(files, work_dir, copy, "copied")

    def __repr__(self) -> str:
        return f"DVCLiveVisBackend(dir={str(self.dir)!r})"
