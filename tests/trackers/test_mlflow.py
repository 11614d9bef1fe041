"""MLflowVisBackend against real stores: a sqlite:/// file and a live ``mlflow server``."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path
from typing import Any

import pytest

from .conftest import raise_in_iteration

pytest.importorskip("mlflow")


def _client(uri: str):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


def _only_run(uri: str, exp_name: str):
    client = _client(uri)
    exp = client.get_experiment_by_name(exp_name)
    (run,) = client.search_runs([exp.experiment_id])
    return client, run


def test_sqlite_store_gets_params_every_scalar_checkpoint_tags_and_finished(
    train, tmp_path: Path
) -> None:
    uri = f"sqlite:///{tmp_path / 'store.db'}"
    backend = (
        f"dict(type='MLflowVisBackend', exp_name='tiny', run_name='first', tracking_uri='{uri}', "
        "tags=dict(team='vision'), params=dict(note='hello'))"
    )
    assert train(backend) == 0
    client, run = _only_run(uri, "tiny")
    assert run.info.status == "FINISHED" and run.info.run_name == "first"
    params = run.data.params
    # the config, flattened; the backend's own params too
    assert params["train_cfg.max_epochs"] == "2"
    assert params["optim_wrapper.optimizer.lr"] == "0.1"
    assert params["note"] == "hello"
    assert run.data.tags["team"] == "vision"
    # every logged loss with its step: 16 iterations, logged every 2
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == list(range(2, 17, 2))
    acc = client.get_metric_history(run.info.run_id, "accuracy/top1")
    assert [m.step for m in acc] == [1, 2] and all(0 <= m.value <= 100 for m in acc)
    wd = tmp_path / "wd"
    assert run.data.tags["last_checkpoint"] == str((wd / "epoch_2.pth").resolve())
    (best,) = wd.glob("best_*.pth")
    assert run.data.tags["best_checkpoint"] == str(best.resolve())
    # the config as an artifact; the store's own folder is not uploaded into itself
    names = [a.path for a in client.list_artifacts(run.info.run_id)]
    assert "config.py" in names
    text = Path(client.download_artifacts(run.info.run_id, "config.py", str(tmp_path))).read_text()
    assert "TinyNet" in text


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("RuntimeError", "FAILED", 1),
        ("KeyboardInterrupt", "KILLED", 130),
        ("TrainingPreempted", "KILLED", 143),
    ],
)
def test_run_ends_failed_or_killed_as_the_training_did(
    train, tmp_path: Path, kind: str, status: str, code: int
) -> None:
    uri = f"sqlite:///{tmp_path / 'store.db'}"
    assert (
        train(f"dict(type='MLflowVisBackend', tracking_uri='{uri}')", raise_in_iteration(kind))
        == code
    )
    client, run = _only_run(uri, "Default")
    assert run.info.status == status
    assert [m.step for m in client.get_metric_history(run.info.run_id, "loss")] == [2, 4]


def test_missing_mlflow_is_an_input_error_naming_the_extra(
    train, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    import importlib.util

    monkeypatch.setitem(sys.modules, "mlflow", None)  # not importable: as if not installed
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else real(name, *a)
    )
    assert train("dict(type='MLflowVisBackend')") == 2
    err = capsys.readouterr().err
    assert "MLflowVisBackend" in err and 'pip install "runner-trackers[mlflow]"' in err


def test_other_ranks_never_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from runner_trackers import MLflowVisBackend

    monkeypatch.setenv("RANK", "1")
    backend = MLflowVisBackend(save_dir=tmp_path / "vis")
    backend.add_scalars({"loss": 1.0}, step=1)
    backend.close()
    assert not (tmp_path / "vis").exists() and backend.run_id is None


def test_unreachable_tracker_warns_once_and_training_goes_on(train, tmp_path: Path) -> None:
    from runner_trackers.base import TrackerWarning

    url = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert train(f"dict(type='MLflowVisBackend', tracking_uri='{url}')") == 0
    tracker_warnings = [w for w in caught if issubclass(w.category, TrackerWarning)]
    assert len(tracker_warnings) == 1
    assert "MLflowVisBackend stopped logging" in str(tracker_warnings[0].message)
    # the training and the other backend were not disturbed
    assert (tmp_path / "wd" / "epoch_2.pth").is_file()
    (scalars,) = (tmp_path / "wd").glob("*/vis_data/scalars.json")
    assert len(scalars.read_text().splitlines()) == 8 + 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mlflow_server(tmp_path: Path):
    port = _free_port()
    store = tmp_path / "server"
    store.mkdir()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--backend-store-uri",
            f"sqlite:///{store / 'mlflow.db'}",
            "--artifacts-destination",
            str(store / "artifacts"),
            "--workers",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=store,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240  # a loaded machine starts it slowly
    while True:  # wait until it answers (not a timing assertion: a bounded readiness poll)
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as reply:
                if reply.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"mlflow server did not start: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.25)
    yield url, proc
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
def test_live_server_run_then_server_gone_warns_once(
    train, mlflow_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, proc = mlflow_server
    # a loaded test machine can make one request slow; only a refused connection may fail
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "120")
    assert train(f"dict(type='MLflowVisBackend', exp_name='live', tracking_uri='{url}')") == 0
    client, run = _only_run(url, "live")
    assert run.info.status == "FINISHED"
    assert run.data.params["model.type"] == "TinyNet"
    assert len(client.get_metric_history(run.info.run_id, "loss")) == 8
    assert "config.py" in [a.path for a in client.list_artifacts(run.info.run_id)]

    # a backend whose server goes away mid-run warns once and raises nothing
    from runner_trackers import MLflowVisBackend
    from runner_trackers.base import TrackerWarning

    backend = MLflowVisBackend(save_dir=tmp_path / "vis2", exp_name="live", tracking_uri=url)
    backend.add_scalars({"loss": 1.0}, step=1)
    proc.terminate()
    proc.wait(timeout=30)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for step in range(2, 6):
            backend.add_scalars({"loss": 1.0 / step}, step=step)
        backend.close()
    tracker_warnings = [w for w in caught if issubclass(w.category, TrackerWarning)]
    assert len(tracker_warnings) == 1
    assert "stopped logging" in str(tracker_warnings[0].message)


def _artifact_names(client, run_id: str, folder: str | None = None) -> list[str]:
    found = []
    for item in client.list_artifacts(run_id, folder):
        found += _artifact_names(client, run_id, item.path) if item.is_dir else [item.path]
    return found


def _finished_run_with_warnings(train: Any, tmp_path: Path) -> tuple[Any, set[str], list[str]]:
    """Train with an MLflow sqlite store; the FINISHED run, its artifact names and the
    TrackerWarning messages."""
    from runner_trackers.base import TrackerWarning

    uri = f"sqlite:///{tmp_path / 'store.db'}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert train(f"dict(type='MLflowVisBackend', tracking_uri='{uri}')") == 0
    client, run = _only_run(uri, "Default")
    assert run.info.status == "FINISHED"
    messages = [str(w.message) for w in caught if issubclass(w.category, TrackerWarning)]
    return run, set(_artifact_names(client, run.info.run_id)), messages


def test_failed_checkpoint_tags_still_upload_artifacts_and_end_the_run(
    train, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runner_trackers import MLflowVisBackend

    def refuse(self, last, best) -> None:
        raise OSError("the store refused a tag")

    monkeypatch.setattr(MLflowVisBackend, "log_checkpoints", refuse)
    run, names, messages = _finished_run_with_warnings(train, tmp_path)
    assert any(n.endswith(".log") for n in names) and "config.py" in names
    assert len(messages) == 1  # the failed step warned on its own
    assert "could not record the checkpoint paths: OSError: the store refused a tag" in messages[0]


def test_a_failed_upload_skips_neither_the_other_files_nor_the_end(
    train, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow.tracking import MlflowClient

    real = MlflowClient.log_artifact

    def log_artifact(self, run_id, local_path, artifact_path=None) -> None:
        if str(local_path).endswith(".log"):
            raise PermissionError("no reading the log")
        real(self, run_id, local_path, artifact_path)

    monkeypatch.setattr(MlflowClient, "log_artifact", log_artifact)
    run, names, messages = _finished_run_with_warnings(train, tmp_path)
    assert not any(n.endswith(".log") for n in names)
    assert any(n.endswith("vis_data/scalars.json") for n in names) and "config.py" in names
    assert {"last_checkpoint", "best_checkpoint"} <= set(run.data.tags)
    assert len(messages) == 1  # the failed step warned on its own, naming the file
    assert "could not upload the work dir's files as artifacts" in messages[0]
    assert "1 file(s) not uploaded" in messages[0] and "no reading the log" in messages[0]
