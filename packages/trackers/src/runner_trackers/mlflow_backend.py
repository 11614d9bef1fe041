"""``MLflowVisBackend``: log a run to an MLflow tracking store (MMEngine's name and options).

Uses ``MlflowClient`` rather than MLflow's global "active run", so two
backends (or a user's own MLflow calls) never step on each other.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from .base import (
    TRACKER_STORES,
    TrackerBackend,
    checkpoint_tags,
    for_each_file,
    work_dir_files,
)

#: MLflow rejects longer parameter values (6000 characters).
MAX_PARAM_CHARS = 6000
#: MLflow accepts at most this many params / metrics in one ``log_batch``.
BATCH = 100


class MLflowVisBackend(TrackerBackend):
    """Log scalars, the config and checkpoint paths to MLflow.

    Args:
        save_dir: the run folder's ``vis_data`` (passed by the Runner).
        exp_name: the MLflow experiment (created if missing; default ``'Default'``).
        run_name: the MLflow run's name (default: MLflow picks one).
        tags: tags set on the run when it starts.
        params: extra parameters logged when the run starts.
        tracking_uri: where runs go: ``sqlite:///path.db``, ``http://host:port``, ...
            Default: ``$MLFLOW_TRACKING_URI``, else ``sqlite:///<save_dir>/mlflow.db``.
        artifact_suffix: files of the work dir with these endings are uploaded as
            artifacts when the run ends (checkpoints are not: they are tagged).
        tracked_config_keys: top-level config keys recorded as params (None: all).
        artifact_location: where a newly created experiment stores artifacts.
            Default for a ``sqlite`` store: ``mlartifacts`` next to the database file;
            otherwise MLflow's own default (a ``file`` store: inside each run's folder).

    When the run ends it is tagged ``last_checkpoint`` (the newest checkpoint),
    ``best_checkpoint`` (the newest best one) and ``best_checkpoint.<file stem>``
    (each best one, e.g. ``best_checkpoint.best_accuracy_top1_epoch_2``).
    """

    library = "mlflow"
    extra = "mlflow"

    def __init__(
        self,
        save_dir: str | Path | None = None,
        exp_name: str | None = None,
        run_name: str | None = None,
        tags: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        tracking_uri: str | None = None,
        artifact_suffix: str | Iterable[str] = (".json", ".log", ".py", "yaml"),
        tracked_config_keys: Iterable[str] | None = None,
        artifact_location: str | None = None,
    ) -> None:
        super().__init__(save_dir, tracked_config_keys)
        self.exp_name = exp_name or "Default"
        self.run_name = run_name
        self.tags = {str(k): str(v) for k, v in (tags or {}).items()}
        self.params = dict(params or {})
        self.tracking_uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or self._local()
        suffixes = [artifact_suffix] if isinstance(artifact_suffix, str) else artifact_suffix
        self.artifact_suffix = tuple(suffixes)
        self.artifact_location = artifact_location
        self.run_id: str | None = None
        self._client: Any = None

    def _local(self) -> str:
        base = self.save_dir if self.save_dir is not None else Path.cwd()
        return f"sqlite:///{(base / 'mlflow.db').resolve()}"

    @property
    def experiment(self) -> Any:
        """The ``MlflowClient`` (MMEngine exposes the ``mlflow`` module here)."""
        if self._client is None:
            from mlflow.tracking import MlflowClient

            self._client = MlflowClient(tracking_uri=self.tracking_uri)
        return self._client

    def _artifact_location(self) -> str | None:
        if self.artifact_location is not None:
            return self.artifact_location
        if self.tracking_uri.startswith("sqlite:///"):
            database = Path(self.tracking_uri[len("sqlite:///") :])
            return (database.parent / "mlartifacts").resolve().as_uri()
        # A file store keeps artifacts in <store>/<experiment id>/<run id>/artifacts when
        # MLflow chooses; a folder of its own inside the store root would read as a
        # malformed experiment. A tracking server chooses for itself.
        return None

    def _create_sqlite_store(self) -> None:
        """Create a new ``sqlite`` store with its artifact root beside the database.

        MLflow creates the ``Default`` experiment with every new database, its
        artifacts in ``./mlruns`` of the process's working directory: a run of
        the default ``exp_name`` would upload its config, logs and images
        wherever training was started. Made here first, the store's root (and
        so ``Default``'s) is :meth:`_artifact_location`, as for an experiment
        this backend creates. An existing database is left as it is.
        """
        if not self.tracking_uri.startswith("sqlite:///"):
            return
        if Path(self.tracking_uri[len("sqlite:///") :]).exists():
            return
        try:
            from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
        except ImportError:  # another MLflow layout: its own default root then
            return
        SqlAlchemyStore(self.tracking_uri, self._artifact_location())

    def _file_store(self) -> Path | None:
        """The folder of a local file store (a ``file:`` URI or a plain path), else None."""
        parsed = urlparse(self.tracking_uri)
        if parsed.scheme == "file":
            return Path(url2pathname(parsed.path)).expanduser().resolve()
        if parsed.scheme == "" or len(parsed.scheme) == 1:  # a path, or a Windows drive path
            return Path(self.tracking_uri).expanduser().resolve()
        return None

    # -- TrackerBackend ------------------------------------------------------------------
    def start(self) -> None:
        if self.run_id is not None:  # written to again after close: reopen the same run
            self.experiment.update_run(self.run_id, status="RUNNING")
            return
        if self.save_dir is not None:
            self.save_dir.mkdir(parents=True, exist_ok=True)
        self._create_sqlite_store()  # before the client's store creates the database
        client = self.experiment
        found = client.get_experiment_by_name(self.exp_name)
        if found is not None:
            experiment_id = found.experiment_id
        else:
            experiment_id = client.create_experiment(
                self.exp_name, artifact_location=self._artifact_location()
            )
        run = client.create_run(experiment_id, run_name=self.run_name, tags=self.tags)
        self.run_id = run.info.run_id
        if self.params:
            self._log_params({str(k): v for k, v in self.params.items()})

    def _log_params(self, flat: Mapping[str, Any]) -> None:
        from mlflow.entities import Param

        items = [Param(k[:250], str(v)[:MAX_PARAM_CHARS]) for k, v in flat.items()]
        for i in range(0, len(items), BATCH):
            self.experiment.log_batch(self.run_id, params=items[i : i + BATCH])

    def log_config(self, flat: dict[str, Any], text: str) -> None:
        self._log_params({k: v for k, v in flat.items() if k not in self.params})
        self.experiment.log_text(self.run_id, text, "config.py")

    def log_scalars(self, numbers: dict[str, float], step: int) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        items = [Metric(k, v, now, step) for k, v in numbers.items()]
        for i in range(0, len(items), BATCH):
            self.experiment.log_batch(self.run_id, metrics=items[i : i + BATCH])

    def log_image(self, name: str, array: Any, step: int) -> None:
        self.experiment.log_image(self.run_id, array, key=name, step=step)

    def log_checkpoints(self, last: str | None, best: dict[str, str]) -> None:
        from mlflow.entities import RunTag

        tags = checkpoint_tags(last, best)
        self.experiment.log_batch(self.run_id, tags=[RunTag(k, v) for k, v in tags.items()])

    def end(self, status: str) -> None:
        # uploading and ending are separate steps: a failed upload still ends the run
        self._attempt("upload the work dir's files as artifacts", self._upload_artifacts)
        self.experiment.set_terminated(self.run_id, status=status)

    def _upload_artifacts(self) -> None:
        """Upload each work-dir file with an ``artifact_suffix``, outside any local
        tracker store and this backend's own file store; one error for all failures."""
        work_dir = self._work_dir()
        if work_dir is None or not work_dir.is_dir() or not self.artifact_suffix:
            return
        store = self._file_store()
        skip_dirs = [] if store is None else [store]

        def upload(path: Path) -> None:
            where = path.parent.relative_to(work_dir).as_posix()
            self.experiment.log_artifact(self.run_id, str(path), None if where == "." else where)

        files = work_dir_files(work_dir, self.artifact_suffix, TRACKER_STORES, skip_dirs)
        for_each_file(files, work_dir, upload, "uploaded")

    def __repr__(self) -> str:
        return f"MLflowVisBackend(exp_name={self.exp_name!r}, tracking_uri={self.tracking_uri!r})"
