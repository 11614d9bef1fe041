"""MLflowVisBackend against MLflow's file store (a ``file:`` tracking URI).

The file store keeps each tag as a file and each experiment as a folder of the
store root, so tag names that are path prefixes of one another, or an artifact
folder inside the store root, break it. One 2-epoch training (with a best
checkpoint) is shared by the tests of this module.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .conftest import make_train, quiet_trackers

pytest.importorskip("mlflow")


@dataclass
class FileStoreRun:
    uri: str
    store: Path
    work_dir: Path
    code: int
    tracker_warnings: list[str]


@pytest.fixture(scope="module")
def file_store_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FileStoreRun]:
    tmp_path = tmp_path_factory.mktemp("file_store")
    store = tmp_path / "mlruns"
    uri = store.as_uri()  # file:///...
    with pytest.MonkeyPatch.context() as monkeypatch:
        quiet_trackers(monkeypatch)
        # MLflow 3 refuses file stores unless asked (MLflow 2, which the extra allows,
        # uses them by default)
        monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        train = make_train(tmp_path, monkeypatch)
        from runner_trackers.base import TrackerWarning

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            code = train(f"dict(type='MLflowVisBackend', exp_name='tiny', tracking_uri='{uri}')")
        found = [str(w.message) for w in caught if issubclass(w.category, TrackerWarning)]
        yield FileStoreRun(uri, store, tmp_path / "wd", code, found)


def _only_run(uri: str) -> tuple[Any, Any]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("tiny")
    (run,) = client.search_runs([exp.experiment_id])
    return client, run


def _artifacts(client: Any, run_id: str, folder: str | None = None) -> list[str]:
    found = []
    for item in client.list_artifacts(run_id, folder):
        found += _artifacts(client, run_id, item.path) if item.is_dir else [item.path]
    return sorted(found)


def test_file_store_run_ends_finished_without_tracker_warnings(
    file_store_run: FileStoreRun,
) -> None:
    assert file_store_run.code == 0
    _, run = _only_run(file_store_run.uri)
    assert run.info.status == "FINISHED"
    assert file_store_run.tracker_warnings == []


def test_file_store_run_has_every_checkpoint_tag(file_store_run: FileStoreRun) -> None:
    _, run = _only_run(file_store_run.uri)
    tags = run.data.tags
    wd = file_store_run.work_dir
    assert tags["last_checkpoint"] == str((wd / "epoch_2.pth").resolve())
    best = sorted(wd.glob("best_*.pth"))
    assert best, "the config saves a best checkpoint"
    newest = max(best, key=lambda p: p.stat().st_mtime)
    assert tags["best_checkpoint"] == str(newest.resolve())
    for path in best:
        assert tags[f"best_checkpoint.{path.stem}"] == str(path.resolve())
    # no tag name is a path prefix of another (the file store keeps tags as files)
    names = [k for k in tags if not k.startswith("mlflow.")]
    assert not [(a, b) for a in names for b in names if b.startswith(a + "/")]


def test_file_store_run_gets_the_work_dir_files_as_artifacts(
    file_store_run: FileStoreRun,
) -> None:
    client, run = _only_run(file_store_run.uri)
    names = _artifacts(client, run.info.run_id)
    wd = file_store_run.work_dir
    (log,) = wd.glob("*/*.log")  # <timestamp>/<timestamp>.log
    (scalars,) = wd.glob("*/vis_data/scalars.json")
    assert "config.py" in names
    assert log.relative_to(wd).as_posix() in names
    assert scalars.relative_to(wd).as_posix() in names
    # nothing of the store itself (its meta.yaml files) is uploaded
    assert not [n for n in names if n.endswith("meta.yaml")]
    # MLflow's own place for them: <store>/<experiment id>/<run id>/artifacts
    exp_id = run.info.experiment_id
    expected = (file_store_run.store / exp_id / run.info.run_id / "artifacts").resolve()
    assert run.info.artifact_uri == expected.as_uri()
    assert (expected / "config.py").is_file()


def test_file_store_root_holds_experiments_only(
    file_store_run: FileStoreRun, caplog: pytest.LogCaptureFixture
) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=file_store_run.uri)
    with caplog.at_level(logging.WARNING):
        experiments = client.search_experiments()
    assert "Malformed experiment" not in caplog.text
    assert sorted(e.name for e in experiments) == ["Default", "tiny"]
    assert not (file_store_run.store / "mlartifacts").exists()
    ids = {e.experiment_id for e in experiments}
    assert {p.name for p in file_store_run.store.iterdir() if p.is_dir()} <= ids | {".trash"}
