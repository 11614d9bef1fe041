"""``runner-cli sweep`` on the digits example: two workers on one SQLite study, one killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runner_core.errors import ConfigError

optuna = pytest.importorskip("optuna")

ROOT = Path(__file__).resolve().parents[2]
DIGITS = ROOT / "examples" / "digits-lib" / "configs" / "digits_cnn_epoch.py"
HERE = Path(__file__).resolve().parent

CONFIG = f"""
_base_ = [{str(DIGITS)!r}]
custom_imports = dict(imports=['hold_hook'])
custom_hooks = [dict(type='HoldHook')]
train_cfg = dict(max_epochs=1)
default_hooks = dict(logger=dict(progress_bar=False))
"""

SPACE = """
space = {
    'optim_wrapper.optimizer.lr': dict(type='float', low=1e-3, high=1e-2, log=True),
    'model.hidden': dict(type='int', low=16, high=64),
    'optim_wrapper.optimizer.type': dict(type='categorical', choices=['SGD', 'AdamW']),
}
"""


def _sweep(tmp_path: Path, trials: int, hold: Path | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path]), "NO_COLOR": "1"}
    env.pop("SWEEP_TEST_HOLD", None)
    if hold is not None:
        env["SWEEP_TEST_HOLD"] = str(hold)
    args = ["cfg.py", "--space", "space.py", "--trials", str(trials), "--work-dir", "wd"]
    return subprocess.Popen(
        [sys.executable, "-m", "runner_cli", "sweep", *args, "--seed", "0"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():  # a bounded readiness poll, not a timing assertion
        if proc.poll() is not None:
            pytest.fail(f"worker exited early ({proc.returncode}): {proc.stderr.read()[-3000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the held worker never started its trial")
        time.sleep(0.2)


@pytest.mark.slow
def test_two_workers_one_killed_then_the_sweep_continues(tmp_path: Path) -> None:
    (tmp_path / "cfg.py").write_text(CONFIG)
    (tmp_path / "space.py").write_text(SPACE)
    marker = tmp_path / "held"
    held = _sweep(tmp_path, 6, hold=marker)  # parks inside its first trial
    worker = _sweep(tmp_path, 6)
    _wait_for(marker, held)
    held.send_signal(signal.SIGKILL)
    held.wait(timeout=30)
    out, err = worker.communicate(timeout=300)
    assert worker.returncode == 0, err[-3000:]

    study = optuna.load_study(study_name="cfg", storage=f"sqlite:///{tmp_path / 'wd' / 'study.db'}")
    by_state: dict[str, list] = {}
    for trial in study.trials:
        by_state.setdefault(trial.state.name, []).append(trial)
    finished = by_state.get("COMPLETE", []) + by_state.get("PRUNED", [])
    assert len(finished) == 6 and len(by_state.get("COMPLETE", [])) >= 1
    (dead,) = by_state["FAIL"]  # the killed worker's trial, retried with the same values
    assert dead.user_attrs["failed_because"] == "its worker process died"
    assert "lost their worker; marked FAIL and queued again" in err
    assert any(t.params == dead.params for t in finished)
    assert not by_state.get("RUNNING")
    assert (
        Path(marker.read_text()).resolve()
        == (tmp_path / "wd" / "trials" / f"{dead.number:03d}").resolve()
    )
    for trial in finished:  # each trial an ordinary run in trials/NNN
        folder = tmp_path / "wd" / "trials" / f"{trial.number:03d}"
        assert (folder / "epoch_1.pth").is_file()
        assert trial.intermediate_values  # reported at its validation
    # the table of trials and the best parameters, the best config written out
    best = study.best_trial
    assert f"accuracy/top1: {best.value:.4f}" in out
    best_cfg = (tmp_path / "wd" / "best_config.py").read_text()
    assert (
        repr(best.params["model.hidden"]) in best_cfg
        and best.params["optim_wrapper.optimizer.type"] in best_cfg
    )

    # running the command again continues the same study
    again = _sweep(tmp_path, 7)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err[-3000:]
    study = optuna.load_study(study_name="cfg", storage=f"sqlite:///{tmp_path / 'wd' / 'study.db'}")
    states = [t.state.name for t in study.trials]
    assert states.count("COMPLETE") + states.count("PRUNED") == 7 and len(states) == 8

    # runner-cli plot draws the study (history and importances) as a PNG
    from runner_cli.main import main

    png = tmp_path / "study.png"
    assert main(["plot", str(tmp_path / "wd"), "--out", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_bad_space_entry_is_an_input_error_naming_it(tmp_path: Path) -> None:
    from runner_sweep.space import load_space

    bad = tmp_path / "space.py"
    bad.write_text("space = {'model.hidden': dict(type='int', low=16, hihg=128)}\n")
    with pytest.raises(ConfigError, match=r"space\['model.hidden'\].*lacks high.*'hihg'.*'high'"):
        load_space(bad)
    bad.write_text("space = {'lr': dict(type='flaot', low=0.1, high=1)}\n")
    with pytest.raises(ConfigError, match=r"space\['lr'\].*'flaot'.*Did you mean 'float'"):
        load_space(bad)
    bad.write_text("space = {'lr': dict(type='float', low=1, high=0.1)}\n")
    with pytest.raises(ConfigError, match="low < high"):
        load_space(bad)


def test_bad_space_exits_2_through_the_cli(tmp_path: Path, capsys, monkeypatch) -> None:
    from runner_cli.main import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "cfg.py").write_text(CONFIG)
    (tmp_path / "space.py").write_text("space = {'lr': dict(type='categorical')}\n")
    assert main(["sweep", "cfg.py", "--space", "space.py", "--trials", "2"]) == 2
    assert "space['lr']" in capsys.readouterr().err


#: tests/cli/tiny_task.py for 3 epochs of 8 iterations, validated after each
TINY_3_EPOCHS = """
custom_imports = dict(imports=['tiny_task'])
model = dict(type='TinyNet')
train_dataloader = dict(dataset=dict(type='TinyDataset'), batch_size=8, shuffle=True)
val_dataloader = dict(dataset=dict(type='TinyDataset', size=32), batch_size=16)
val_evaluator = dict(type='Accuracy')
train_cfg = dict(by_epoch=True, max_epochs=3, val_interval=1)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))
default_hooks = dict(logger=dict(interval=2, progress_bar=False))
"""


def test_a_pruned_trial_stops_cleanly_after_its_validation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pruner says stop after epoch 1 of 3: the run ends there, checkpoint written."""
    from runner_sweep.space import check_space
    from runner_sweep.sweep import SweepOptions, run_trial

    monkeypatch.syspath_prepend(str(ROOT / "tests" / "cli"))  # tiny_task.py
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.py").write_text(TINY_3_EPOCHS)
    opts = SweepOptions(
        config="tiny.py",
        space=check_space({"optim_wrapper.optimizer.lr": dict(type="float", low=0.01, high=0.1)}),
        trials=1,
        work_dir=tmp_path / "wd",
    )
    study = optuna.create_study(
        direction="maximize", pruner=optuna.pruners.ThresholdPruner(lower=1000.0)
    )
    trial = study.ask()
    with pytest.raises(optuna.TrialPruned):
        run_trial(opts, trial, note=lambda _: None)
    folder = tmp_path / "wd" / "trials" / "000"
    assert (folder / "epoch_1.pth").is_file() and not (folder / "epoch_2.pth").exists()
    assert list(study.trials[0].intermediate_values) == [1]  # reported once, at its validation
