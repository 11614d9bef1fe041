"""add_image on every tracker backend: the image reaches the tracker, pixel for pixel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

IMAGE = (np.arange(8 * 6 * 3) % 256).astype(np.uint8).reshape(8, 6, 3)


def _png(path: Path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB"))


def _backend(name: str, save_dir: Path, **kwargs: Any) -> Any:
    import runner_trackers

    return getattr(runner_trackers, name)(save_dir=save_dir, **kwargs)


def test_wandb_logs_the_image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    backend = _backend("WandbVisBackend", tmp_path / "vis_data")
    backend.add_image("pred", IMAGE, step=3)
    backend.close()
    (png,) = (tmp_path / "vis_data").glob("wandb/offline-run-*/files/media/images/pred_*.png")
    np.testing.assert_array_equal(_png(png), IMAGE)


def test_dvclive_logs_the_image(tmp_path: Path) -> None:
    pytest.importorskip("dvclive")
    backend = _backend("DVCLiveVisBackend", tmp_path / "vis_data")
    backend.add_image("pred", IMAGE, step=3)
    backend.close()
    (png,) = (tmp_path / "vis_data").rglob("plots/images/pred.png")
    np.testing.assert_array_equal(_png(png), IMAGE)


def test_mlflow_logs_the_image_in_the_runs_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")  # the default experiment's artifacts go beside the db
    backend = _backend("MLflowVisBackend", tmp_path / "vis_data")
    backend.add_image("pred", IMAGE, step=3)
    backend.close()
    client = MlflowClient(tracking_uri=backend.tracking_uri)
    (png,) = [a.path for a in client.list_artifacts(backend.run_id, "images") if "png" in a.path]
    local = client.download_artifacts(backend.run_id, png, str(tmp_path))
    np.testing.assert_array_equal(_png(Path(local)), IMAGE)
    assert list((tmp_path / "vis_data" / "mlartifacts").rglob("*.png"))
    assert not list((tmp_path / "cwd").iterdir())  # nothing in the working directory


def test_aim_tracks_the_image(tmp_path: Path) -> None:
    pytest.importorskip("aim")
    from aim import Run

    backend = _backend("AimVisBackend", tmp_path / "vis_data")
    backend.add_image("pred", IMAGE, step=3)
    run_hash = backend.experiment.hash
    backend.close()
    run = Run(
        run_hash=run_hash,
        repo=str(tmp_path / "vis_data"),
        system_tracking_interval=None,
        capture_terminal_logs=False,
    )
    try:
        from aim.storage.context import Context

        sequence = run.get_image_sequence("pred", Context({}))
        ((step, (image, *_)),) = list(sequence.data.items())  # (image, epoch, timestamp)
        assert step == 3
        np.testing.assert_array_equal(np.asarray(image.to_pil_image().convert("RGB")), IMAGE)
    finally:
        run.close()


def test_a_tracker_without_images_ignores_add_image_and_starts_no_run(tmp_path: Path) -> None:
    from runner_trackers.base import TrackerBackend

    class ScalarsOnly(TrackerBackend):
        library = "json"  # any importable module
        extra = "none"
        started = 0

        def start(self) -> None:
            type(self).started += 1

        def log_scalars(self, numbers: dict, step: int) -> None:
            pass

        def end(self, status: str) -> None:
            pass

    backend = ScalarsOnly(save_dir=tmp_path)
    backend.add_image("pred", IMAGE, step=1)
    assert ScalarsOnly.started == 0
    backend.add_scalars({"loss": 1.0}, step=1)
    assert ScalarsOnly.started == 1
