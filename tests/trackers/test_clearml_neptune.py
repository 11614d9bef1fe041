"""ClearMLVisBackend and NeptuneVisBackend against fake ``clearml`` / ``neptune`` modules.

The fakes record every call the way the tracker would store it, so the tests
assert what a user's dashboard would show: each scalar with its step, the
image pixels, the config, the checkpoint paths and how the run ended.
"""

from __future__ import annotations

import importlib.machinery
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import raise_in_iteration


def _module(name: str, **attrs: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)  # find_spec() needs one
    for key, value in attrs.items():
        setattr(module, key, value)
    return module


# -- a fake clearml ------------------------------------------------------------------------
class FakeLogger:
    def __init__(self) -> None:
        self.scalars: list[tuple[str, str, float, int]] = []
        self.images: list[tuple[str, str, int, np.ndarray]] = []

    def report_scalar(self, title: str, series: str, value: float, iteration: int) -> None:
        self.scalars.append((title, series, value, iteration))

    def report_image(self, title: str, series: str, iteration: int, image: np.ndarray) -> None:
        self.images.append((title, series, iteration, image))


class FakeTask:
    """``clearml.Task``: ``Task.init`` makes one, ``Task.get_task`` finds it again."""

    made: list[FakeTask] = []

    def __init__(self, kwargs: dict[str, Any]) -> None:
        self.id = f"task{len(FakeTask.made)}"
        self.init_kwargs = kwargs
        self.logger = FakeLogger()
        self.configurations: list[Any] = []
        self.artifacts: dict[str, str] = {}
        self.properties: dict[str, Any] = {}
        self.status = "in_progress"
        self.status_reason: str | None = None
        self.closed = 0

    @classmethod
    def init(cls, **kwargs: Any) -> FakeTask:
        task = cls(kwargs)
        cls.made.append(task)
        return task

    @classmethod
    def get_task(cls, task_id: str) -> FakeTask:
        (task,) = [t for t in cls.made if t.id == task_id]
        return task

    @classmethod
    def is_offline(cls) -> bool:
        return False

    def get_logger(self) -> FakeLogger:
        return self.logger

    def connect_configuration(self, configuration: Any, name: str | None = None) -> Any:
        self.configurations.append(configuration)
        return configuration

    def upload_artifact(self, name: str, artifact_object: Any) -> bool:
        self.artifacts[name] = artifact_object
        return True

    def set_user_properties(self, **properties: Any) -> bool:
        self.properties.update(properties)
        return True

    def close(self) -> None:
        self.closed += 1
        self.status = "completed"  # what ClearML does when a task is closed

    def mark_failed(self, status_reason: str | None = None, force: bool = False) -> None:
        assert force  # a completed task needs force to change
        self.status, self.status_reason = "failed", status_reason

    def mark_stopped(self, force: bool = False, status_message: str | None = None) -> None:
        assert force
        self.status, self.status_reason = "stopped", status_message


@pytest.fixture
def clearml(monkeypatch: pytest.MonkeyPatch) -> type[FakeTask]:
    monkeypatch.setattr(FakeTask, "made", [])
    monkeypatch.setitem(sys.modules, "clearml", _module("clearml", Task=FakeTask))
    return FakeTask


# -- a fake neptune ------------------------------------------------------------------------
class FakeFile:
    def __init__(self, kind: str, content: Any, extension: str | None = None) -> None:
        self.kind, self.content, self.extension = kind, content, extension

    @staticmethod
    def from_content(content: str, *, extension: str | None = None) -> FakeFile:
        return FakeFile("content", content, extension)

    @staticmethod
    def as_image(image: Any) -> FakeFile:
        return FakeFile("image", image)


class FakeField:
    def __init__(self, run: FakeRun, path: str) -> None:
        self.run, self.path = run, path

    def append(self, value: Any, step: float | None = None, name: str | None = None) -> None:
        self.run.series.setdefault(self.path, []).append((step, value, name))

    def upload(self, value: FakeFile) -> None:
        self.run.fields[self.path] = value

    def fetch(self) -> Any:
        return self.run.fields[self.path]


class FakeRun:
    made: list[FakeRun] = []

    def __init__(self, **kwargs: Any) -> None:
        self.init_kwargs = kwargs
        self.series: dict[str, list[tuple[Any, Any, Any]]] = {}
        self.fields: dict[str, Any] = {"sys/id": kwargs.get("with_id", f"RUN-{len(FakeRun.made)}")}
        self.stopped = 0
        FakeRun.made.append(self)

    def __getitem__(self, path: str) -> FakeField:
        return FakeField(self, path)

    def __setitem__(self, path: str, value: Any) -> None:
        self.fields[path] = value

    def stop(self) -> None:
        self.stopped += 1


@pytest.fixture
def neptune(monkeypatch: pytest.MonkeyPatch) -> type[FakeRun]:
    monkeypatch.setattr(FakeRun, "made", [])
    types_module = _module("neptune.types", File=FakeFile)
    monkeypatch.setitem(sys.modules, "neptune", _module("neptune", init_run=FakeRun))
    monkeypatch.setitem(sys.modules, "neptune.types", types_module)
    return FakeRun


def _config(work_dir: Path) -> Any:
    from runner_core.config import Config

    return Config(dict(model=dict(type="TinyNet", depth=2), lr=0.1, work_dir=str(work_dir)))


IMAGE = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10


# -- ClearML -----------------------------------------------------------------------------------
def test_clearml_records_config_scalars_image_artifacts_and_completes(
    clearml: type[FakeTask], tmp_path: Path
) -> None:
    from runner_trackers import ClearMLVisBackend

    (tmp_path / "cfg.py").write_text("lr = 0.1\n")
    (tmp_path / "epoch_1.pth").write_bytes(b"weights")
    (tmp_path / "run.log").write_text("not uploaded: not a suffix asked for")
    backend = ClearMLVisBackend(
        save_dir=tmp_path / "vis_data", init_kwargs=dict(project_name="p", task_name="t")
    )
    assert clearml.made == []  # nothing starts before the first write
    backend.add_config(_config(tmp_path))
    backend.add_scalar("lr", 0.01, step=3)
    backend.add_scalars({"loss": np.float32(0.5), "acc": 80, "note": "text"}, step=4)
    backend.add_image("pred", IMAGE, step=2)
    backend.close()

    (task,) = clearml.made
    assert backend.experiment is task
    assert task.init_kwargs == {"project_name": "p", "task_name": "t"}
    assert task.configurations == [
        {"model": {"type": "TinyNet", "depth": 2}, "lr": 0.1, "work_dir": str(tmp_path)}
    ]
    assert task.logger.scalars == [
        ("lr", "lr", 0.01, 3),
        ("loss", "loss", 0.5, 4),
        ("acc", "acc", 80.0, 4),
    ]  # non-numbers are skipped
    ((title, series, step, image),) = task.logger.images
    assert (title, series, step) == ("pred", "pred", 2)
    np.testing.assert_array_equal(image, IMAGE)
    assert task.artifacts == {
        "cfg.py": str(tmp_path / "cfg.py"),
        "epoch_1.pth": str(tmp_path / "epoch_1.pth"),
    }
    assert task.closed == 1 and task.status == "completed"
    assert backend.status == "FINISHED"


def test_clearml_tracked_config_keys_and_reopen_after_close(
    clearml: type[FakeTask], tmp_path: Path
) -> None:
    from runner_trackers import ClearMLVisBackend

    backend = ClearMLVisBackend(tracked_config_keys=["lr"], artifact_suffix=".py")
    backend.add_config(_config(tmp_path))
    backend.close()
    backend.add_scalar("accuracy/top1", 91.0, step=1)  # a test after training
    backend.close()
    first, second = clearml.made
    assert first.configurations == [{"lr": 0.1}]
    # the same task continues, and its steps are not shifted past the training's
    assert second.init_kwargs == {"reuse_last_task_id": first.id, "continue_last_task": 0}
    assert second.logger.scalars == [("accuracy/top1", "accuracy/top1", 91.0, 1)]


@pytest.mark.parametrize("store", ["mlruns", "mlartifacts", "wandb", "dvclive", ".aim", ".neptune"])
def test_clearml_uploads_no_file_of_a_local_tracker_store(
    clearml: type[FakeTask], tmp_path: Path, store: str
) -> None:
    """A store in the work dir (``--work-dir .``; Neptune keeps offline runs in ``./.neptune``)
    holds the tracker's own records, not the run's files."""
    from runner_trackers import ClearMLVisBackend

    (tmp_path / "cfg.py").write_text("lr = 0.1\n")
    offline_run = tmp_path / store / "offline" / "run__1"
    offline_run.mkdir(parents=True)
    (offline_run / "metadata.json").write_text("{}")
    (offline_run / "setup.py").write_text("# a file the tracker copied\n")
    backend = ClearMLVisBackend(artifact_suffix=(".py", ".json"))
    backend.add_config(_config(tmp_path))  # the config names the work dir
    backend.close()
    (task,) = clearml.made
    assert task.artifacts == {"cfg.py": str(tmp_path / "cfg.py")}


def test_clearml_other_ranks_never_log(
    clearml: type[FakeTask], monkeypatch: pytest.MonkeyPatch
) -> None:
    from runner_trackers import ClearMLVisBackend

    monkeypatch.setenv("RANK", "1")
    backend = ClearMLVisBackend()
    backend.add_scalars({"loss": 1.0}, step=1)
    backend.add_image("pred", IMAGE)
    backend.close()
    assert clearml.made == []


def test_clearml_through_the_runner_gets_every_scalar_checkpoints_and_completes(
    clearml: type[FakeTask], train, tmp_path: Path
) -> None:
    visualizer = (
        "visualizer = dict(type='Visualizer', vis_backends=[dict(type='ClearMLVisBackend', "
        "init_kwargs=dict(project_name='tiny', task_name='first'))])\n"
    )
    assert train("dict(type='LocalVisBackend')", visualizer) == 0
    (task,) = clearml.made
    assert task.init_kwargs == {"project_name": "tiny", "task_name": "first"}
    (config,) = task.configurations
    assert config["model"] == {"type": "TinyNet"} and config["train_cfg"]["max_epochs"] == 2
    steps: dict[str, list[int]] = {}
    for title, series, _value, step in task.logger.scalars:
        assert title == series
        steps.setdefault(title, []).append(step)
    assert steps["loss"] == list(range(2, 17, 2))  # 16 iterations, logged every 2
    assert steps["accuracy/top1"] == [1, 2]  # once per epoch
    wd = tmp_path / "wd"
    assert task.properties["last_checkpoint"] == str((wd / "epoch_2.pth").resolve())
    (best,) = wd.glob("best_*.pth")
    assert task.properties["best_checkpoint"] == str(best.resolve())
    assert "epoch_2.pth" in task.artifacts
    assert any(name.endswith(".py") for name in task.artifacts)  # the run's config
    assert task.closed == 1 and task.status == "completed"


@pytest.mark.parametrize(
    ("kind", "code", "status", "reason"),
    [
        ("RuntimeError", 1, "failed", "RuntimeError: boom"),
        ("KeyboardInterrupt", 130, "stopped", "stopped from outside"),
    ],
)
def test_clearml_task_ends_failed_or_stopped_as_the_training_did(
    clearml: type[FakeTask], train, kind: str, code: int, status: str, reason: str
) -> None:
    assert train("dict(type='ClearMLVisBackend')", raise_in_iteration(kind)) == code
    (task,) = clearml.made
    assert [s[3] for s in task.logger.scalars if s[0] == "loss"] == [2, 4]
    assert task.closed == 1  # closed (the next Task.init starts afresh), then marked
    assert task.status == status and reason in (task.status_reason or "")


def test_missing_clearml_is_an_input_error_naming_the_install(
    train, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.delitem(sys.modules, "clearml", raising=False)
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "clearml" else real(name, *a)
    )
    assert train("dict(type='ClearMLVisBackend')") == 2
    err = capsys.readouterr().err
    assert "ClearMLVisBackend" in err and "pip install clearml" in err
    assert 'pip install "runner-trackers[clearml]"' in err


# -- Neptune -----------------------------------------------------------------------------------
def test_neptune_records_config_scalars_image_and_stops(
    neptune: type[FakeRun], tmp_path: Path
) -> None:
    from runner_trackers import NeptuneVisBackend

    backend = NeptuneVisBackend(save_dir=tmp_path / "vis_data")
    backend.add_config(_config(tmp_path))
    backend.add_scalar("lr", 0.01, step=3)
    backend.add_scalars({"loss": np.float32(0.5), "accuracy/top1": 80}, step=4)
    backend.add_image("pred", IMAGE, step=2)
    backend.close()

    (run,) = neptune.made
    assert backend.experiment is run
    assert run.init_kwargs == {"mode": "offline"}  # MMEngine's default without init_kwargs
    config = run.fields["config"]
    assert config.kind == "content" and "type='TinyNet'" in config.content
    assert config.extension == "py"
    assert run.fields["parameters"] == {
        "model.type": "TinyNet",
        "model.depth": 2,
        "lr": 0.1,
        "work_dir": str(tmp_path),
    }
    assert run.series["lr"] == [(3, 0.01, None)]
    assert run.series["loss"] == [(4, 0.5, None)]
    assert run.series["accuracy/top1"] == [(4, 80.0, None)]
    ((step, file, name),) = run.series["images"]
    assert (step, name, file.kind) == (2, "pred", "image")
    np.testing.assert_allclose(file.content, IMAGE.astype(np.float32) / 255.0)
    assert run.fields["status"] == "FINISHED" and run.fields["sys/failed"] is False
    assert run.stopped == 1


def test_neptune_init_kwargs_and_reopen_after_close(
    neptune: type[FakeRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    from runner_trackers import NeptuneVisBackend

    monkeypatch.delenv("NEPTUNE_MODE", raising=False)
    backend = NeptuneVisBackend(init_kwargs=dict(project="ws/proj", name="first"))
    backend.add_scalar("loss", 1.0, step=1)
    backend.close()
    backend.add_scalar("accuracy/top1", 90.0, step=1)  # a test after training: same run
    backend.close()
    first, second = neptune.made
    assert first.init_kwargs == {"project": "ws/proj", "name": "first"}
    assert second.init_kwargs == {"project": "ws/proj", "name": "first", "with_id": "RUN-0"}
    assert second.series["accuracy/top1"] == [(1, 90.0, None)]

    tracked = NeptuneVisBackend(tracked_config_keys=["lr", "missing"])
    tracked.add_config(_config(Path("wd")))
    assert neptune.made[-1].fields["parameters"] == {"lr": 0.1}
    tracked.close()
    neptune.made.pop()

    offline = NeptuneVisBackend()  # an offline run has no id to continue: a new run
    offline.add_scalar("loss", 1.0, step=1)
    offline.close()
    offline.add_scalar("loss", 0.5, step=2)
    offline.close()
    assert [run.init_kwargs for run in neptune.made[2:]] == [{"mode": "offline"}] * 2


def test_neptune_through_the_runner_marks_a_failed_run(
    neptune: type[FakeRun], train, tmp_path: Path
) -> None:
    assert train("dict(type='NeptuneVisBackend')", raise_in_iteration("RuntimeError")) == 1
    (run,) = neptune.made
    assert [step for step, _v, _n in run.series["loss"]] == [2, 4]
    assert run.fields["status"] == "FAILED" and run.fields["sys/failed"] is True
    assert run.stopped == 1


def test_neptune_through_the_runner_gets_every_scalar_and_checkpoints(
    neptune: type[FakeRun], train, tmp_path: Path
) -> None:
    assert train("dict(type='NeptuneVisBackend')") == 0
    (run,) = neptune.made
    assert [step for step, _v, _n in run.series["loss"]] == list(range(2, 17, 2))
    assert [step for step, _v, _n in run.series["accuracy/top1"]] == [1, 2]
    assert "TinyNet" in run.fields["config"].content
    assert run.fields["parameters"]["train_cfg.max_epochs"] == 2
    assert run.fields["parameters"]["custom_imports.imports"] == "['tiny_task']"
    wd = tmp_path / "wd"
    assert run.fields["checkpoints/last_checkpoint"] == str((wd / "epoch_2.pth").resolve())
    assert run.fields["status"] == "FINISHED" and run.stopped == 1
