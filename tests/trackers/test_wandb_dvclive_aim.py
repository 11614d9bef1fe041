"""WandbVisBackend (offline run read back), DVCLiveVisBackend (files read back), AimVisBackend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import raise_in_iteration
from .wandb_records import read_finished_run


def _run_folder(wd: Path) -> Path:
    (run,) = [p for p in wd.iterdir() if p.is_dir()]
    return run


def test_wandb_offline_run_holds_config_every_scalar_and_exit_code(train, tmp_path: Path) -> None:
    pytest.importorskip("wandb")
    backend = "dict(type='WandbVisBackend', init_kwargs=dict(project='tiny', name='first'))"
    assert train(backend) == 0
    (path,) = (_run_folder(tmp_path / "wd") / "vis_data").glob("wandb/offline-run-*/run-*.wandb")
    run = read_finished_run(path)
    assert run["config"]["train_cfg.max_epochs"] == 2
    assert run["config"]["model.type"] == "TinyNet"
    losses = [row for row in run["history"] if "loss" in row]
    assert [row["iter"] for row in losses] == list(range(2, 17, 2))
    val_rows = [row for row in run["history"] if "accuracy/top1" in row]
    assert len(val_rows) == 2 and not any("epoch" in row for row in val_rows)  # as MMEngine's
    assert run["summary"]["last_checkpoint"].endswith("epoch_2.pth")
    assert run["exit_code"] == 0


def test_wandb_failed_run_records_a_failing_exit_code(train, tmp_path: Path) -> None:
    pytest.importorskip("wandb")
    assert train("dict(type='WandbVisBackend')", raise_in_iteration("RuntimeError")) == 1
    (path,) = (_run_folder(tmp_path / "wd") / "vis_data").glob("wandb/offline-run-*/run-*.wandb")
    run = read_finished_run(path)
    assert run["exit_code"] == 1
    assert len([row for row in run["history"] if "loss" in row]) == 2


def test_dvclive_files_hold_params_every_scalar_and_checkpoints(train, tmp_path: Path) -> None:
    pytest.importorskip("dvclive")
    import yaml

    assert train("dict(type='DVCLiveVisBackend')") == 0
    live = _run_folder(tmp_path / "wd") / "vis_data" / "dvclive"
    rows = (live / "plots" / "metrics" / "loss.tsv").read_text().splitlines()
    assert rows[0] == "step\tloss"
    assert [int(r.split("\t")[0]) for r in rows[1:]] == list(range(2, 17, 2))
    acc = (live / "plots" / "metrics" / "accuracy" / "top1.tsv").read_text().splitlines()
    assert [int(r.split("\t")[0]) for r in acc[1:]] == [1, 2]
    params = yaml.safe_load((live / "params.yaml").read_text())
    assert params["train_cfg.max_epochs"] == 2 and params["status"] == "FINISHED"
    assert params["last_checkpoint"].endswith("epoch_2.pth")
    assert any(k.startswith("best_checkpoint/best_accuracy_top1") for k in params)
    assert "accuracy" in json.loads((live / "metrics.json").read_text())
    assert list((live / "artifacts").rglob("config.py"))  # the run's config, copied


def test_dvclive_a_file_that_cannot_be_copied_still_ends_the_run(
    train, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("dvclive")
    import shutil
    import warnings

    import yaml

    from runner_trackers.base import TrackerWarning

    real = shutil.copy2

    def copy2(src: object, dst: object, **kwargs: object) -> object:
        if str(src).endswith("config.py"):
            raise PermissionError("no reading the config")
        return real(src, dst, **kwargs)

    monkeypatch.setattr(shutil, "copy2", copy2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert train("dict(type='DVCLiveVisBackend')") == 0
    live = _run_folder(tmp_path / "wd") / "vis_data" / "dvclive"
    assert yaml.safe_load((live / "params.yaml").read_text())["status"] == "FINISHED"
    copied = [p.name for p in (live / "artifacts").rglob("*")]
    assert "scalars.json" in copied and "config.py" not in copied  # the others were copied
    messages = [str(w.message) for w in caught if issubclass(w.category, TrackerWarning)]
    assert len(messages) == 1 and "2 file(s) not copied" in messages[0]  # two config.py files


def test_aim_repo_holds_params_every_scalar_and_status(train, tmp_path: Path) -> None:
    pytest.importorskip("aim")
    from aim import Repo, Run

    assert train("dict(type='AimVisBackend', init_kwargs=dict(experiment='tiny'))") == 0
    repo_dir = _run_folder(tmp_path / "wd") / "vis_data"
    (run_hash,) = Repo.from_path(str(repo_dir)).list_all_runs()
    # aim 3.29's read_only view reads only its index, which a finished run does not update
    # without Aim's background indexer; a writable view reads the run's own storage
    run = Run(
        run_hash=run_hash,
        repo=str(repo_dir),
        system_tracking_interval=None,
        capture_terminal_logs=False,
    )
    try:
        assert run.experiment == "tiny"
        assert run.get("hparams")["train_cfg.max_epochs"] == 2
        assert run.get("status") == "FINISHED"
        assert run.get("checkpoints")["last"].endswith("epoch_2.pth")
        series = {m.name: [step for step, _ in m.data.items()] for m in run.metrics()}
        assert series["loss"] == list(range(2, 17, 2))
        assert series["accuracy/top1"] == [1, 2]
    finally:
        run.close()


@pytest.mark.parametrize("store", ["mlruns", "mlartifacts", "wandb", ".aim", ".neptune"])
def test_dvclive_copies_no_file_of_another_tracker_store(tmp_path: Path, store: str) -> None:
    pytest.importorskip("dvclive")  # the backend refuses to build without it
    from runner_trackers.dvclive_backend import DVCLiveVisBackend

    work_dir = tmp_path / "wd"
    (work_dir / store / "run1").mkdir(parents=True)
    (work_dir / store / "run1" / "meta.yaml").write_text("a: 1\n")  # another tracker's file
    (work_dir / "cfg.yaml").write_text("b: 2\n")
    backend = DVCLiveVisBackend(save_dir=work_dir / "20261204_000000" / "vis_data")
    backend._copy_artifacts()
    copied = sorted(p.relative_to(backend.dir).as_posix() for p in backend.dir.rglob("*.yaml"))
    assert copied == ["artifacts/cfg.yaml"]


@pytest.mark.parametrize("committed", [True, False], ids=["with a commit", "empty"])
def test_dvclive_leaves_a_git_checkout_that_is_no_dvc_repository_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, committed: bool
) -> None:
    pytest.importorskip("dvclive")
    import subprocess

    from runner_trackers.dvclive_backend import DVCLiveVisBackend

    checkout = tmp_path / "project"
    checkout.mkdir()
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    if committed:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q"]
            + ["--allow-empty", "-m", "start"],
            cwd=checkout,
            check=True,
        )
    monkeypatch.chdir(checkout)
    backend = DVCLiveVisBackend(save_dir=checkout / "wd" / "vis_data")
    backend.add_scalars({"loss": 0.5}, step=1)
    backend.close()
    assert (backend.dir / "metrics.json").is_file()
    assert not (checkout / ".dvc").exists() and not (checkout / ".dvcignore").exists()
    staged = subprocess.run(
        ["git", "diff", "--cached", "--name-only"], cwd=checkout, capture_output=True, text=True
    )
    assert staged.stdout == ""  # dvclive alone would have staged .dvc/config


def test_a_stand_in_module_of_a_test_suite_counts_as_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Downstream test suites replace the library with a MagicMock (no ``__spec__``)."""
    from unittest.mock import MagicMock

    from runner_trackers import WandbVisBackend

    stand_in = MagicMock()
    monkeypatch.setitem(__import__("sys").modules, "wandb", stand_in)
    backend = WandbVisBackend(save_dir=tmp_path / "vis_data")
    backend.add_scalars({"loss": 1.0}, step=1)
    assert stand_in.init.called
    stand_in.init.return_value.log.assert_called_with({"loss": 1.0}, commit=True)


def test_experiment_starts_the_run_when_read_as_mmengines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Code logging through ``backend.experiment`` before the first write gets the run."""
    pytest.importorskip("dvclive")
    from runner_trackers import DVCLiveVisBackend

    backend = DVCLiveVisBackend(save_dir=tmp_path / "vis_data")
    live = backend.experiment
    assert live is not None and backend.experiment is live
    live.log_metric("custom", 1.5)  # through the library itself
    backend.add_scalars({"loss": 1.0}, step=1)  # the same run
    assert backend.experiment is live
    backend.close()
    (tsv,) = (tmp_path / "vis_data").rglob("plots/metrics/custom.tsv")
    assert tsv.read_text().splitlines()[1].endswith("1.5")
    monkeypatch.setenv("RANK", "1")  # other ranks never start a run
    assert DVCLiveVisBackend(save_dir=tmp_path / "rank1").experiment is None


def test_a_process_without_torch_ends_its_tracker_run_without_importing_it(
    tmp_path: Path,
) -> None:
    """A W&B run left open by a script that never imported torch printed a traceback at
    exit: ending it looked for checkpoints, which imported torch, and wandb's import hook
    then touched its finished run (QA)."""
    import subprocess
    import sys

    (tmp_path / "last_checkpoint").write_text(str(tmp_path / "epoch_1.pth"))
    (tmp_path / "best_acc_epoch_1.pth").write_bytes(b"")
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from runner_trackers.base import find_checkpoints\n"
        f"print(find_checkpoints(Path({str(tmp_path)!r})), 'torch' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    best = str((tmp_path / "best_acc_epoch_1.pth").resolve())
    assert done.stdout.strip() == f"(None, {{'best_acc_epoch_1': {best!r}}}) False"


def test_a_wandb_run_nobody_closed_ends_cleanly_at_exit(tmp_path: Path) -> None:
    """MMEngine's visualization tutorial never closes its Visualizer: the W&B run was ended
    at exit after wandb's own teardown, "could not end its run as FINISHED: Connection
    lost", and with a traceback in a script that never imported torch (QA)."""
    pytest.importorskip("wandb")
    import os
    import subprocess
    import sys

    script = (
        "import numpy as np\n"
        "from runner_core.visualization import Visualizer\n"
        "v = Visualizer(image=np.zeros((8, 8, 3), np.uint8), save_dir='out',\n"
        "               vis_backends=[dict(type='WandbVisBackend')])\n"
        "v.add_scalar('a', 1.0)\n"
    )
    # not this process's W&B settings (a service an earlier test started): a fresh script's
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env.update(WANDB_MODE="offline", WANDB_SILENT="true")
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for bad in ("Traceback", "could not end", "Connection lost"):
        assert bad not in done.stderr, done.stderr[-3000:]
    (path,) = (tmp_path / "out" / "vis_data").glob("wandb/offline-run-*/run-*.wandb")
    assert read_finished_run(path)["exit_code"] == 0
