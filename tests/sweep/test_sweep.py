"""``runner-cli sweep`` on the digits example: two workers on one SQLite study, one killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

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


def _pruning_study(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str) -> tuple:
    """One-trial options over ``config`` (tiny.py in tmp_path), and a study whose pruner
    always says stop."""
    from runner_sweep.space import check_space
    from runner_sweep.sweep import SweepOptions

    monkeypatch.syspath_prepend(str(ROOT / "tests" / "cli"))  # tiny_task.py
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.py").write_text(config)
    opts = SweepOptions(
        config="tiny.py",
        space=check_space({"optim_wrapper.optimizer.lr": dict(type="float", low=0.01, high=0.1)}),
        trials=1,
        work_dir=tmp_path / "wd",
    )
    study = optuna.create_study(
        direction="maximize", pruner=optuna.pruners.ThresholdPruner(lower=1000.0)
    )
    return opts, study


def test_a_pruned_trial_stops_cleanly_after_its_validation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pruner says stop after epoch 1 of 3: the run ends there, checkpoint written."""
    from runner_sweep.sweep import run_trial

    opts, study = _pruning_study(tmp_path, monkeypatch, TINY_3_EPOCHS)
    trial = study.ask()
    with pytest.raises(optuna.TrialPruned):
        run_trial(opts, trial, note=lambda _: None)
    folder = tmp_path / "wd" / "trials" / "000"
    assert (folder / "epoch_1.pth").is_file() and not (folder / "epoch_2.pth").exists()
    assert list(study.trials[0].intermediate_values) == [1]  # reported once, at its validation


#: tests/cli/tiny_task.py for 1 epoch, validated once at its end
TINY_1_EPOCH = TINY_3_EPOCHS.replace("max_epochs=3", "max_epochs=1")

TINY_SPACE = "space = {'optim_wrapper.optimizer.lr': dict(type='float', low=0.01, high=0.1)}\n"

SEED_SPACE = {
    "optim_wrapper.optimizer.lr": dict(type="float", low=1e-4, high=1e-1, log=True),
    "model.hidden": dict(type="int", low=4, high=512),
}


def _draw(study: optuna.Study, space: dict) -> tuple[optuna.Trial, dict]:
    from runner_sweep.space import suggest

    trial = study.ask()
    return trial, suggest(trial, space)


@pytest.mark.parametrize("sampler", ["tpe", "random"])
def test_a_seeded_continued_study_or_second_worker_draws_new_values(sampler: str) -> None:
    """--seed 0 in every process: the values differ per trial, not repeat per process."""
    from runner_sweep.space import check_space
    from runner_sweep.sweep import make_sampler

    space = check_space(SEED_SPACE)
    storage = optuna.storages.InMemoryStorage()

    def process() -> optuna.Study:  # a runner-cli sweep process: its own sampler, seed 0
        return optuna.create_study(
            storage=storage,
            study_name="s",
            sampler=make_sampler(sampler, space, 0),
            load_if_exists=True,
        )

    first, second = process(), process()  # two workers started side by side
    trial0, values0 = _draw(first, space)
    trial1, values1 = _draw(second, space)
    assert values0 != values1
    first.tell(trial0, 0.5)
    second.tell(trial1, 0.7)
    _, values2 = _draw(process(), space)  # the same command again: the study continues
    assert values2 not in (values0, values1)


def test_a_seeded_sweep_in_one_process_is_reproducible() -> None:
    from runner_sweep.seeding import trial_seed
    from runner_sweep.space import check_space
    from runner_sweep.sweep import make_sampler

    space = check_space(SEED_SPACE)

    def run(seed: int) -> list[dict]:
        study = optuna.create_study(sampler=make_sampler("tpe", space, seed))
        drawn = []
        for score in (0.3, 0.9, 0.6):
            trial, values = _draw(study, space)
            study.tell(trial, score)
            drawn.append(values)
        return drawn

    assert run(7) == run(7) != run(8)
    assert trial_seed(7, 2) == trial_seed(7, 2) != trial_seed(7, 3)


def _metric_opts(tmp_path: Path, metric: str | None) -> Any:
    from runner_sweep.space import check_space
    from runner_sweep.sweep import SweepOptions

    return SweepOptions(
        config="cfg.py",
        space=check_space({"lr": dict(type="float", low=0.01, high=0.1)}),
        trials=2,
        work_dir=tmp_path / "wd",
        metric=metric,
    )


def test_continuing_a_study_with_another_metric_is_refused(tmp_path: Path) -> None:
    from runner_sweep.sweep import open_study

    study, _ = open_study(_metric_opts(tmp_path, "acc"))
    study.set_user_attr("metric", "acc")  # what its first scored trial stored
    assert open_study(_metric_opts(tmp_path, "acc"))[0].user_attrs["metric"] == "acc"
    assert open_study(_metric_opts(tmp_path, None))  # no --metric: the stored one is used
    with pytest.raises(ConfigError) as info:
        open_study(_metric_opts(tmp_path, "loss"))
    message = str(info.value)
    assert "'acc'" in message and "'loss'" in message
    assert "--metric acc" in message and "--study NEW_NAME" in message


def test_the_first_scored_trial_stores_the_metric_and_a_racing_worker_is_refused(
    tmp_path: Path,
) -> None:
    from runner_sweep.sweep import open_study, record_metric

    opts = _metric_opts(tmp_path, "acc")
    study, _ = open_study(opts)
    assert "metric" not in study.user_attrs  # not before a trial has reported it
    record_metric(opts, study)
    assert study.user_attrs["metric"] == "acc"
    # a worker started with --metric loss before any trial had stored a metric
    with pytest.raises(ConfigError, match="'acc', not 'loss'"):
        record_metric(_metric_opts(tmp_path, "loss"), study)


@pytest.mark.parametrize(
    ("entry", "match"),
    [
        (dict(type="float", low=0, high=0.1, log=True), r"log=True needs low > 0.*low=0"),
        (dict(type="float", low=-1.0, high=0.1, log=True), r"log=True needs low > 0"),
        (
            dict(type="float", low=1e-3, high=0.1, step=0.01, log=True),
            r"log=True and step=0.01 cannot be combined",
        ),
        (dict(type="int", low=4.5, high=9), r"low=4.5 is not a whole number.*low=5"),
        (dict(type="int", low=4, high=9.5), r"high=9.5 is not a whole number.*high=9"),
        (dict(type="int", low=0, high=9, log=True), r"log=True needs low >= 1"),
        (dict(type="int", low=1, high=9, step=2, log=True), r"cannot be combined"),
        (dict(type="int", low=1, high=9, step=0), r"step=0 must be a whole number of at least 1"),
        (dict(type="float", low=0.0, high=1.0, step=-0.1), r"step=-0.1 must be a positive"),
        (dict(type="float", low=0.0, high=1.0, log="yes"), r"log='yes' must be True or False"),
        (dict(type="float", low=0.0, high=float("inf")), r"finite numbers"),
    ],
)
def test_entries_optuna_would_refuse_are_input_errors_when_read(
    tmp_path: Path, entry: dict, match: str
) -> None:
    from runner_sweep.space import load_space

    space = tmp_path / "space.py"
    space.write_text(f"inf = float('inf')\nspace = {{'model.p': {entry!r}}}\n")
    with pytest.raises(ConfigError, match=rf"space\['model.p'\] in .*space.py.*{match}"):
        load_space(space)


def test_valid_numeric_entries_are_accepted() -> None:
    from runner_sweep.space import check_space

    checked = check_space(
        {
            "a": dict(type="float", low=1e-4, high=1e-1, log=True),
            "b": dict(type="float", low=0.0, high=1.0, step=0.25),
            "c": dict(type="float", low=0.0, high=1.0, step=None),
            "d": dict(type="int", low=1, high=64, log=True),
            "e": dict(type="int", low=0, high=8, step=2),
        }
    )
    assert checked["c"] == {"type": "float", "low": 0.0, "high": 1.0}  # step=None: no step


def test_a_bad_numeric_entry_exits_2_before_any_trial(tmp_path: Path, capsys, monkeypatch) -> None:
    from runner_cli.main import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "cfg.py").write_text(CONFIG)
    (tmp_path / "space.py").write_text(
        "space = {'optim_wrapper.optimizer.lr': dict(type='float', low=0, high=0.1, log=True)}\n"
    )
    args = ["sweep", "cfg.py", "--space", "space.py", "--trials", "1", "--work-dir", "wd"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "space['optim_wrapper.optimizer.lr'] in space.py" in err and "unexpected" not in err
    assert not (tmp_path / "wd" / "study.db").exists()  # no study, so no FAIL trial in it


def test_a_misspelt_argument_message_has_single_punctuation(tmp_path: Path) -> None:
    from runner_sweep.space import load_space

    bad = tmp_path / "space.py"
    bad.write_text("space = {'lr': dict(type='float', low=1e-3, hihg=1e-2)}\n")
    with pytest.raises(ConfigError) as info:
        load_space(bad)
    message = str(info.value)
    assert "has unknown 'hihg' (did you mean 'high'?). A float parameter" in message
    assert "?." not in message and ".." not in message


def test_run_logs_go_to_stderr_and_stdout_holds_the_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from runner_cli.main import main

    monkeypatch.syspath_prepend(str(ROOT / "tests" / "cli"))  # tiny_task.py
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    (tmp_path / "tiny.py").write_text(TINY_1_EPOCH)
    (tmp_path / "space.py").write_text(TINY_SPACE)
    args = ["sweep", "tiny.py", "--space", "space.py", "--trials", "1", "--work-dir", "wd"]
    assert main([*args, "--seed", "0"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].split("\t") == [
        "trial",
        "state",
        "accuracy/top1",
        "optim_wrapper.optimizer.lr",
        "seconds",
    ]
    assert lines[1].startswith("0\tCOMPLETE\t")
    assert lines[2:4] == ["trial: 0", lines[3]] and lines[3].startswith("accuracy/top1: ")
    assert "Epoch(train)" not in out and "runner - INFO" not in out
    assert "Epoch(train)" in err and "Epoch(val)" in err


def test_a_finished_trial_leaves_no_data_workers_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # persistent workers would live until some later full garbage collection (then torch
    # waits 5 s per worker), holding the trial's memory meanwhile
    import multiprocessing

    from runner_cli.main import main

    monkeypatch.syspath_prepend(str(ROOT / "tests" / "cli"))  # tiny_task.py
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.py").write_text(TINY_1_EPOCH)
    (tmp_path / "space.py").write_text(TINY_SPACE)
    workers = ["train_dataloader.num_workers=2", "train_dataloader.persistent_workers=True"]
    args = ["sweep", "tiny.py", "--space", "space.py", "--trials", "2", "--work-dir", "wd"]
    before = set(multiprocessing.active_children())
    assert main([*args, "--seed", "0", "--cfg-options", *workers]) == 0
    assert set(multiprocessing.active_children()) <= before


@pytest.mark.parametrize(
    "train_cfg",
    [
        "train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)",
        "train_cfg = dict(by_epoch=False, max_iters=4, val_interval=4)",
    ],
)
def test_a_trial_that_trained_to_its_end_is_never_pruned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, train_cfg: str
) -> None:
    """The pruner says stop at the last validation: nothing is left to save, so COMPLETE."""
    from runner_sweep.sweep import run_trial

    config = TINY_3_EPOCHS.replace(
        "train_cfg = dict(by_epoch=True, max_epochs=3, val_interval=1)", train_cfg
    )
    opts, study = _pruning_study(tmp_path, monkeypatch, config)
    study.optimize(lambda trial: run_trial(opts, trial, note=lambda _: None), n_trials=1)
    (trial,) = study.trials
    assert trial.state.name == "COMPLETE"
    assert trial.value == trial.intermediate_values[1]  # its one, final, validation


def test_optuna_failure_reports_are_hidden_unless_debug() -> None:
    import logging

    from runner_sweep.sweep import optuna_failure_reports

    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logger = logging.getLogger("optuna.study._optimize")
    handler = Keep()
    logging.getLogger("optuna").addHandler(handler)
    try:
        raised = (ValueError, ValueError("bad"), None)
        for show in (False, True):
            with optuna_failure_reports(show=show):
                logger.warning("Trial 3 failed with parameters: {} because of ...", exc_info=raised)
                logger.warning("Trial 3 failed with value None.")
                logger.warning("Trial 4 failed with value nan.")  # a NaN score: kept
                logger.warning("Something else.")
        logger.warning("Trial 5 failed with value None.")  # outside: left alone
    finally:
        logging.getLogger("optuna").removeHandler(handler)
    hidden = ["Trial 4 failed with value nan.", "Something else."]
    shown = [
        "Trial 3 failed with parameters: {} because of ...",
        "Trial 3 failed with value None.",
        *hidden,
    ]
    assert seen == [*hidden, *shown, "Trial 5 failed with value None."]


def _tiny_sweep(
    tmp_path: Path, *extra: str, hold: Path | None = None, release: Path | None = None
) -> subprocess.Popen[str]:
    path = os.pathsep.join([str(HERE), str(ROOT / "tests" / "cli"), *sys.path])
    env = {**os.environ, "PYTHONPATH": path, "NO_COLOR": "1", "OMP_NUM_THREADS": "1"}
    env.pop("SWEEP_TEST_HOLD", None)
    env.pop("SWEEP_TEST_RELEASE", None)
    if hold is not None:
        env["SWEEP_TEST_HOLD"] = str(hold)
    if release is not None:
        env["SWEEP_TEST_RELEASE"] = str(release)
    args = ["tiny.py", "--space", "space.py", "--trials", "1", "--work-dir", "wd", *extra]
    return subprocess.Popen(
        [sys.executable, "-m", "runner_cli", "sweep", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_a_failed_trial_is_one_line_without_optunas_traceback(tmp_path: Path) -> None:
    (tmp_path / "tiny.py").write_text(TINY_1_EPOCH)
    (tmp_path / "space.py").write_text(TINY_SPACE)
    proc = _tiny_sweep(tmp_path, "--metric", "accuracy/top2")
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 2, err[-3000:]
    assert "runner-cli: error: runner-cli sweep --metric 'accuracy/top2'" in err
    assert "Traceback" not in err and "Trial 0 failed" not in err and "[W " not in err
    assert out == ""


def _write_held_sweep(tmp_path: Path) -> None:
    """A one-epoch sweep config whose trial parks in HoldHook, and its space file."""
    (tmp_path / "tiny.py").write_text(
        TINY_1_EPOCH.replace("imports=['tiny_task']", "imports=['tiny_task', 'hold_hook']")
        + "custom_hooks = [dict(type='HoldHook')]\n"
    )
    (tmp_path / "space.py").write_text(TINY_SPACE)


def _trial_states(tmp_path: Path) -> list[str]:
    study = optuna.load_study(
        study_name="tiny", storage=f"sqlite:///{tmp_path / 'wd' / 'study.db'}"
    )
    return [t.state.name for t in study.trials]


@pytest.mark.slow
def test_ctrl_c_says_the_same_command_continues_the_study(tmp_path: Path) -> None:
    _write_held_sweep(tmp_path)
    marker = tmp_path / "held"
    proc = _tiny_sweep(tmp_path, hold=marker)
    _wait_for(marker, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-3000:]
    last = err.strip().splitlines()[-1]
    assert last.startswith("runner-cli sweep: interrupted (Ctrl-C).")
    assert "run the same command again to continue the study" in last
    assert "Traceback" not in err and "Trial 0 failed" not in err
    # cut short: not counted, and its values queued to be tried first when it goes on
    assert _trial_states(tmp_path) == ["FAIL", "WAITING"]


@pytest.mark.slow
def test_sigterm_stops_the_sweep_with_one_line_and_the_trial_marked_fail(tmp_path: Path) -> None:
    """A preempted trial saves its checkpoint; the sweep says how to continue, no traceback."""
    _write_held_sweep(tmp_path)
    marker, release = tmp_path / "held", tmp_path / "release"
    proc = _tiny_sweep(tmp_path, hold=marker, release=release)
    _wait_for(marker, proc)
    proc.send_signal(signal.SIGTERM)  # the run's handler notes it; the iteration ends, saves
    release.write_text("go")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err[-3000:]
    last = err.strip().splitlines()[-1]
    assert last.startswith("runner-cli sweep: stopped by a signal (SIGTERM received")
    assert "run the same command again to continue the study" in last
    assert "Traceback" not in err
    assert list((tmp_path / "wd" / "trials" / "000").glob("iter_*.pth"))
    # cut short: not counted, and its values queued to be tried first when it goes on
    assert _trial_states(tmp_path) == ["FAIL", "WAITING"]


def _main_sweep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, space: str, *extra: str, config: str = ""
) -> int:
    """``runner-cli sweep tiny.py`` in-process, in ``tmp_path``, work dir ``wd``."""
    from runner_cli.main import main

    monkeypatch.syspath_prepend(str(ROOT / "tests" / "cli"))  # tiny_task.py
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    (tmp_path / "tiny.py").write_text(config or TINY_1_EPOCH)
    (tmp_path / "space.py").write_text(space)
    return main(["sweep", "tiny.py", "--space", "space.py", "--work-dir", "wd", *extra])


def _study(tmp_path: Path, name: str = "tiny") -> optuna.Study:
    storage = f"sqlite:///{tmp_path / 'wd' / 'study.db'}"
    return optuna.load_study(study_name=name, storage=storage)


def test_a_named_study_keeps_its_files_apart_and_a_moved_folder_is_drawn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from runner_cli.main import main

    assert _main_sweep(tmp_path, monkeypatch, TINY_SPACE, "--trials", "1", "--seed", "0") == 0
    first = (tmp_path / "wd" / "trials" / "000" / "epoch_1.pth").read_bytes()
    assert _main_sweep(tmp_path, monkeypatch, TINY_SPACE, "--trials", "1", "--study", "b") == 0
    named = tmp_path / "wd" / "studies" / "b"
    assert (named / "trials" / "000" / "epoch_1.pth").is_file()
    assert (tmp_path / "wd" / "trials" / "000" / "epoch_1.pth").read_bytes() == first
    assert not (tmp_path / "wd" / "trials" / "001").exists()
    assert json.loads((tmp_path / "wd" / "sweep.json").read_text())["study"] == "tiny"
    assert json.loads((named / "sweep.json").read_text())["study"] == "b"
    assert "studies/b/best" in (named / "best_config.py").read_text()
    assert "wd/best" in (tmp_path / "wd" / "best_config.py").read_text()
    assert "runner-cli plot wd/studies/b`" in capsys.readouterr().err

    # moved (say, fetched from a cluster): drawn from the folder's own study.db
    (tmp_path / "wd").rename(tmp_path / "moved")
    png = tmp_path / "b.png"
    assert main(["plot", str(tmp_path / "moved" / "studies" / "b"), "--out", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (tmp_path / "wd").exists()


def test_a_trial_is_never_written_into_a_folder_holding_another_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runner_sweep.sweep import run_trial

    opts, study = _pruning_study(tmp_path, monkeypatch, TINY_1_EPOCH)
    taken = tmp_path / "wd" / "trials" / "000"
    taken.mkdir(parents=True)
    (taken / "epoch_1.pth").write_bytes(b"another study's run")
    with pytest.raises(ConfigError, match=r"trials/000' already holds another run"):
        run_trial(opts, study.ask(), note=lambda _: None)
    assert (taken / "epoch_1.pth").read_bytes() == b"another study's run"


#: TINY_1_EPOCH checking the loss at every iteration; lr=1e300 overflows in the first step
TINY_NAN = TINY_1_EPOCH.replace(
    "default_hooks = dict(logger=dict(interval=2, progress_bar=False))",
    "default_hooks = dict(logger=dict(interval=2, progress_bar=False), "
    "check_invalid_loss=dict(type='CheckInvalidLossHook', interval=1))",
)


def test_a_failed_trial_is_recorded_and_the_grid_sweep_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """lr=1e300 makes training raise: that trial FAILs, the other completes, the grid ends."""
    space = "space = {'optim_wrapper.optimizer.lr': dict(type='categorical', choices=[1e300, 0.1])}"
    args = ("--trials", "5", "--sampler", "grid", "--seed", "0", "--pruner", "none")
    assert _main_sweep(tmp_path, monkeypatch, space, *args, config=TINY_NAN) == 0
    out, err = capsys.readouterr()
    trials = {t.params["optim_wrapper.optimizer.lr"]: t for t in _study(tmp_path).trials}
    assert sorted(trials) == [0.1, 1e300]  # each grid point once, then the sweep stops
    assert trials[0.1].state.name == "COMPLETE" and trials[1e300].state.name == "FAIL"
    reason = trials[1e300].user_attrs["failed_because"]
    assert reason.startswith("RuntimeError: value cannot be converted") and "\n" not in reason
    assert f"trial {trials[1e300].number} failed: {reason}" in err
    assert "every point of the grid (2) has been tried" in err
    assert f"{trials[0.1].number}\tCOMPLETE" in out and "\tFAIL\t" in out
    assert "lr=0.1" in (tmp_path / "wd" / "best_config.py").read_text()


def test_plotting_a_study_without_a_finished_trial_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """It drew empty axes and exited 0."""
    from runner_cli.main import main

    space = "space = {'optim_wrapper.optimizer.lr': dict(type='categorical', choices=[1e300])}"
    args = ("--trials", "1", "--pruner", "none")
    assert _main_sweep(tmp_path, monkeypatch, space, *args, config=TINY_NAN) == 1
    capsys.readouterr()
    assert main(["plot", str(tmp_path / "wd"), "--out", str(tmp_path / "s.png")]) == 2
    assert "no complete or pruned trial yet (1 failed)" in capsys.readouterr().err
    assert not (tmp_path / "s.png").exists()


def test_a_sweep_whose_trials_all_fail_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    space = "space = {'optim_wrapper.optimizer.lr': dict(type='categorical', choices=[1e300])}"
    args = ("--trials", "1", "--pruner", "none")
    assert _main_sweep(tmp_path, monkeypatch, space, *args, config=TINY_NAN) == 1
    err = capsys.readouterr().err
    assert "no trial completed (1 failed: their reasons are above)" in err
    assert not (tmp_path / "wd" / "best_config.py").exists()


def test_a_nan_score_fails_its_trial_and_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Optuna failed NaN trials outside the objective, uncounted: the sweep never ended
    (243 trial folders for --trials 3)."""
    config = TINY_1_EPOCH.replace("dict(type='Accuracy')", "dict(type='TinyNanScore')")
    args = ("--trials", "2", "--pruner", "none", "--metric", "score")
    assert _main_sweep(tmp_path, monkeypatch, TINY_SPACE, *args, config=config) == 1
    trials = _study(tmp_path).trials
    assert [t.state.name for t in trials] == ["FAIL", "FAIL"]
    assert "'score' is NaN" in trials[0].user_attrs["failed_because"]


def test_a_trial_cut_short_by_ctrl_c_is_tried_again_and_the_grid_has_no_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After Ctrl-C its values were lost: the grid sampler counted the point as visited and
    handed out another one again and again before the missing one."""
    marker = tmp_path / "interrupted"
    config = TINY_1_EPOCH + f"custom_hooks = [dict(type='TinyCtrlCOnce', marker={str(marker)!r})]\n"
    space = "space = {'optim_wrapper.optimizer.lr': dict(type='categorical', choices=[0.05, 0.1])}"
    args = ("--trials", "2", "--sampler", "grid", "--seed", "0", "--pruner", "none")
    assert _main_sweep(tmp_path, monkeypatch, space, *args, config=config) == 130
    assert _main_sweep(tmp_path, monkeypatch, space, *args, config=config) == 0
    trials = _study(tmp_path).trials
    done = sorted(
        t.params["optim_wrapper.optimizer.lr"] for t in trials if t.state.name == "COMPLETE"
    )
    assert done == [0.05, 0.1] and len(trials) == 3
    assert trials[0].state.name == "FAIL" and "cut short" in trials[0].user_attrs["failed_because"]


def test_queued_values_the_changed_space_no_longer_has_are_not_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Optuna trained them with only a warning, and the best config could hold a value
    outside the space."""
    marker = tmp_path / "interrupted"
    config = TINY_1_EPOCH + f"custom_hooks = [dict(type='TinyCtrlCOnce', marker={str(marker)!r})]\n"
    args = ("--trials", "1", "--sampler", "random", "--seed", "3", "--pruner", "none")
    assert _main_sweep(tmp_path, monkeypatch, TINY_SPACE, *args, config=config) == 130
    narrowed = TINY_SPACE.replace("low=0.01, high=0.1", "low=0.001, high=0.005")
    assert _main_sweep(tmp_path, monkeypatch, narrowed, *args, config=config) == 0
    cut, queued, done = _study(tmp_path).trials
    assert (
        queued.state.name == "FAIL" and "outside the space" in queued.user_attrs["failed_because"]
    )
    assert 0.001 <= done.params["optim_wrapper.optimizer.lr"] <= 0.005
    assert "marked FAIL, not run" in capsys.readouterr().err


def test_a_grid_point_whose_trial_was_refused_is_tried_when_the_sweep_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A misspelt --metric stops the sweep at its first trial; fixed, the sweep tried the
    other point twice and never the refused trial's."""
    space = "space = {'optim_wrapper.optimizer.lr': dict(type='categorical', choices=[0.05, 0.1])}"
    args = ("--trials", "2", "--sampler", "grid", "--seed", "0", "--pruner", "none")
    assert _main_sweep(tmp_path, monkeypatch, space, *args, "--metric", "accuracy/top") == 2
    assert _main_sweep(tmp_path, monkeypatch, space, *args, "--metric", "accuracy/top1") == 0
    trials = _study(tmp_path).trials
    done = sorted(
        t.params["optim_wrapper.optimizer.lr"] for t in trials if t.state.name == "COMPLETE"
    )
    assert done == [0.05, 0.1]


def test_a_trial_cut_short_by_ctrl_c_has_its_values_tried_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "interrupted"
    config = TINY_1_EPOCH + f"custom_hooks = [dict(type='TinyCtrlCOnce', marker={str(marker)!r})]\n"
    args = ("--trials", "1", "--sampler", "random", "--seed", "3", "--pruner", "none")
    assert _main_sweep(tmp_path, monkeypatch, TINY_SPACE, *args, config=config) == 130
    assert _main_sweep(tmp_path, monkeypatch, TINY_SPACE, *args, config=config) == 0
    cut, done = _study(tmp_path).trials
    assert cut.state.name == "FAIL" and done.state.name == "COMPLETE"
    assert done.params == cut.params


def test_a_study_keeps_its_direction_and_a_loss_maximised_by_default_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--direction defaulted to maximize: continuing a minimize study without it exited 2,
    and a loss was maximised without a word (the worst trial taken for the best)."""
    args = ("--pruner", "none", "--seed", "0")
    assert (
        _main_sweep(
            tmp_path, monkeypatch, TINY_SPACE, "--trials", "1", "--direction", "minimize", *args
        )
        == 0
    )
    assert _main_sweep(tmp_path, monkeypatch, TINY_SPACE, "--trials", "2", *args) == 0
    assert _study(tmp_path).direction.name == "MINIMIZE" and len(_study(tmp_path).trials) == 2
    capsys.readouterr()
    config = TINY_1_EPOCH.replace("dict(type='Accuracy')", "dict(type='TinyValLoss')")
    loss_dir = tmp_path / "loss"
    loss_dir.mkdir()
    assert (
        _main_sweep(loss_dir, monkeypatch, TINY_SPACE, "--trials", "1", *args, config=config) == 0
    )
    err = capsys.readouterr().err
    assert "the metric 'val_loss' looks like one where lower is better" in err
    assert "pass --direction minimize" in err


def test_a_grid_over_a_float_without_step_is_refused_before_any_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """It was refused after the study's database was made, which stayed behind empty."""
    args = ("--trials", "1", "--sampler", "grid")
    assert _main_sweep(tmp_path, monkeypatch, TINY_SPACE, *args) == 2
    assert "--sampler grid needs a finite grid" in capsys.readouterr().err
    assert not (tmp_path / "wd").exists()


@pytest.mark.parametrize(
    ("metric", "warned"),
    [
        ("val_loss", True),
        ("val/mse", True),
        ("top1_error", True),
        ("confidence", False),
        ("fidelity", False),
        ("vqa/answer_acc", False),
        ("accuracy/top1", False),
    ],
)
def test_only_a_metric_named_like_a_loss_is_warned_about(tmp_path: Path, metric, warned) -> None:
    from runner_sweep.sweep import SweepOptions, direction_warning

    opts = SweepOptions(config="c.py", space={}, trials=1, work_dir=tmp_path, metric=metric)
    opts.direction, opts.direction_defaulted = "maximize", True
    assert (direction_warning(opts) is not None) is warned
    opts.direction_defaulted = False  # chosen by the user, or the study's own: not said
    assert direction_warning(opts) is None


def test_a_categorical_choice_holding_a_tuple_continues_its_study(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The study keeps choices as JSON (a tuple comes back a list): the unchanged space
    was refused as 'changed since the study tried it'."""
    space = (
        "space = {'optim_wrapper.optimizer': dict(type='categorical', choices=["
        "dict(type='Adam', lr=0.01, betas=(0.9, 0.99), _delete_=True), "
        "dict(type='Adam', lr=0.02, betas=(0.8, 0.9), _delete_=True)])}"
    )
    args = ("--pruner", "none", "--seed", "0")
    assert _main_sweep(tmp_path, monkeypatch, space, "--trials", "1", *args) == 0
    assert _main_sweep(tmp_path, monkeypatch, space, "--trials", "2", *args) == 0
    assert len(_study(tmp_path).trials) == 2
    # the trials and the best config get the choice as written: a tuple stays a tuple
    for folder in ("trials/000", "trials/001"):
        (dumped,) = (tmp_path / "wd" / folder).glob("*/config.py")
        assert "betas=(" in dumped.read_text()
    assert "betas=(" in (tmp_path / "wd" / "best_config.py").read_text()


def test_a_categorical_choice_json_would_change_is_refused() -> None:
    from runner_sweep.space import check_space

    with pytest.raises(ConfigError, match="has a dict key that is no string"):
        check_space({"model.weights": dict(type="categorical", choices=[{0: 1.0}])})
    import numpy as np  # a numpy number is a number

    spec = check_space({"model.width": dict(type="categorical", choices=[np.int64(4), 8])})
    assert spec["model.width"]["choices"] == [4, 8]


def test_an_input_error_in_a_trial_stops_the_sweep_and_leaves_no_table_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from runner_sweep.sweep import stops_the_sweep, trial_rows

    args = ("--trials", "3", "--metric", "accuracy/top2")
    assert _main_sweep(tmp_path, monkeypatch, TINY_SPACE, *args) == 2
    assert "--metric 'accuracy/top2'" in capsys.readouterr().err
    study = _study(tmp_path)
    assert [t.state.name for t in study.trials] == ["FAIL"]  # stopped at once
    assert trial_rows(study)[1] == []  # not a result: left out of later tables
    from runner_core.errors import BuildValueError, RegistryError
    from runner_hooks_standard.invalid_loss import InvalidLossError

    assert stops_the_sweep(RegistryError("x")) and stops_the_sweep(ImportError("x"))
    assert not stops_the_sweep(BuildValueError("x")) and not stops_the_sweep(RuntimeError("x"))
    assert not stops_the_sweep(InvalidLossError("NaN loss"))  # a NaN loss fails one trial


@pytest.mark.parametrize(
    ("low", "high", "step", "points"),
    [
        (0.05, 0.95, 0.1, [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95]),
        (0, 1.2, 0.6, [0.0, 0.6, 1.2]),
        (0.1, 0.3, 0.1, [0.1, 0.2, 0.3]),
    ],
)
def test_float_grids_stay_in_range_without_drift(
    low: float, high: float, step: float, points: list[float]
) -> None:
    from runner_sweep.space import check_space, grid

    space = check_space({"p": dict(type="float", low=low, high=high, step=step)})
    assert grid(space)["p"] == points


@pytest.mark.parametrize(
    ("entry", "match"),
    [
        (dict(type="float", low=0, high=1, step=0.6), r"step=0.6 does not divide.*high=0.6"),
        (dict(type="float", low=0.05, high=1.0, step=0.1), r"high=0.95"),
        (dict(type="int", low=16, high=128, step=10), r"high=126"),
    ],
)
def test_a_step_that_does_not_divide_the_range_is_refused(entry: dict, match: str) -> None:
    from runner_sweep.space import check_space

    with pytest.raises(ConfigError, match=match):
        check_space({"p": entry})


@pytest.mark.parametrize(
    ("key", "match"),
    [
        ("optimizer.lr", r"no 'optimizer'.*Did you mean 'optim_wrapper.optimizer.lr'"),
        ("lr", r"'lr' is a variable of the config file.*'optim_wrapper.optimizer.lr'"),
        ("optim_wrapper.optimiser.lr", r"Did you mean 'optim_wrapper.optimizer'"),
        ("nope", r"'nope' is not a config key the run reads"),
        (
            "optim_wrapper.optimizer.lrr",
            r"the config has no 'optim_wrapper.optimizer.lrr'.*SGD got an unexpected argument "
            r"'lrr'.*Did you mean 'lr'",
        ),
        ("param_scheduler.2", r"'param_scheduler' is a list of 1 .* index from 0 to 0"),
        # past the end of a list, deeper down: the list's length, not 'Keys at ...: (none)'
        ("param_scheduler.2.factor", r"'param_scheduler' is a list of 1 .* index from 0 to 0"),
    ],
)
def test_space_keys_nothing_reads_exit_2_before_any_study(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    match: str,
) -> None:
    import re

    config = TINY_1_EPOCH.replace(
        "optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))",
        "lr = 0.1\noptim_wrapper = dict(optimizer=dict(type='SGD', lr=lr))\n"
        "param_scheduler = [dict(type='ConstantLR', factor=0.5)]",
    )
    space = f"space = {{{key!r}: dict(type='float', low=0.01, high=0.1)}}"
    assert _main_sweep(tmp_path, monkeypatch, space, "--trials", "1", config=config) == 2
    err = capsys.readouterr().err
    assert re.search(rf"space\['{re.escape(key)}'\] in space.py: .*{match}", err), err
    assert not (tmp_path / "wd").exists()  # no study, no trial


@pytest.mark.parametrize(
    ("key", "entry"),
    [
        ("optim_wrapper.optimizer.weight_decay", dict(type="float", low=0.0, high=0.1)),
        ("model.width", dict(type="categorical", choices=[4])),
        ("train_dataloader.dataset.size", dict(type="int", low=16, high=64)),
        # only part of the range is refused (a batch of 0): a failed trial, not an input error
        ("val_dataloader.num_workers", dict(type="int", low=-1, high=0)),
    ],
)
def test_a_setting_the_config_leaves_at_its_default_can_be_tuned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, entry: dict
) -> None:
    from runner_sweep.space import check_paths, check_space
    from runner_sweep.sweep import load_config

    monkeypatch.syspath_prepend(str(ROOT / "tests" / "cli"))  # tiny_task.py
    (tmp_path / "tiny.py").write_text(TINY_1_EPOCH)
    cfg = load_config(str(tmp_path / "tiny.py"), []).to_dict()
    *parents, leaf = key.split(".")
    node = cfg
    for part in parents:
        node = node[part]
    assert leaf not in node  # left at its default
    check_paths(check_space({key: entry}), cfg, "space.py")  # accepted: no error


def test_plot_finds_the_database_of_a_moved_folder_or_relative_url(tmp_path: Path) -> None:
    from runner_sweep.plot import storage_of

    folder = tmp_path / "moved"
    folder.mkdir()
    (folder / "study.db").write_bytes(b"")
    old = {"study": "s", "storage": "sqlite:////gone/wd/study.db"}  # an older sweep.json
    assert storage_of(folder, old) == f"sqlite:///{(folder / 'study.db').resolve()}"
    new = {"study": "s", "storage": "sqlite:////gone/wd/study.db", "storage_file": "study.db"}
    assert storage_of(folder, new) == f"sqlite:///{(folder / 'study.db').resolve()}"
    (folder / "rel.db").write_bytes(b"")  # a relative URL: from the sweep folder
    rel = {"study": "s", "storage": "sqlite:///rel.db"}
    assert storage_of(folder, rel) == f"sqlite:///{(folder / 'rel.db').resolve()}"
    with pytest.raises(ConfigError, match=r"no database is at .*moved/gone.db'"):
        storage_of(folder, {"study": "s", "storage": "sqlite:///gone.db"})
    assert not (Path.cwd() / "gone.db").exists()


def test_a_relative_sqlite_storage_is_recorded_absolute(tmp_path: Path, monkeypatch) -> None:
    import json

    from runner_sweep.sweep import write_sweep_file

    monkeypatch.chdir(tmp_path)
    opts = _metric_opts(tmp_path, None)
    opts.storage = "sqlite:///rel.db"
    assert opts.storage_url == f"sqlite:///{(tmp_path / 'rel.db').resolve()}"
    write_sweep_file(opts)
    record = json.loads((tmp_path / "wd" / "sweep.json").read_text())
    assert record["storage"] == opts.storage_url and "storage_file" not in record


def test_storage_and_package_errors_name_the_fix(tmp_path: Path, monkeypatch) -> None:
    from runner_sweep.sweep import MissingPackageError, import_optuna, open_study

    opts = _metric_opts(tmp_path, None)
    opts.storage = f"sqlite:///{tmp_path}/missing/x.db"
    with pytest.raises(ConfigError, match=r"--storage sqlite:///.*the folder .*missing'"):
        open_study(opts)
    opts.storage = "postgresql://u:p@localhost:1/db"
    import importlib.util

    if not any(importlib.util.find_spec(m) for m in ("psycopg", "psycopg2")):  # no driver here
        with pytest.raises(MissingPackageError, match=r"'psycopg2?' is not installed: pip install"):
            open_study(opts)
    monkeypatch.setitem(sys.modules, "optuna", None)  # import optuna: ModuleNotFoundError
    with pytest.raises(MissingPackageError, match=r"pip install runner-sweep"):
        import_optuna()


def test_continuing_a_study_with_a_changed_parameter_kind_is_refused_before_a_trial(
    tmp_path: Path,
) -> None:
    from runner_sweep.space import check_space
    from runner_sweep.sweep import open_study

    opts = _metric_opts(tmp_path, None)
    study, _ = open_study(opts)
    trial = study.ask()
    trial.suggest_float("lr", 0.01, 0.1)
    study.tell(trial, 0.5)
    opts.space = check_space({"lr": dict(type="categorical", choices=[0.01, 0.1])})
    with pytest.raises(ConfigError, match=r"space\['lr'\] changed.*--study NEW_NAME"):
        open_study(opts)
    assert len(study.trials) == 1


def test_each_compiled_trial_starts_with_fresh_compiler_caches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TorchDynamo keeps 8 compiled versions of a frame; trials in one process would
    otherwise run the optimizer step uncompiled from the 9th on."""
    import torch

    from runner_cli.main import main

    resets: list[int] = []
    monkeypatch.setattr(torch.compiler, "reset", lambda: resets.append(1))
    monkeypatch.syspath_prepend(str(ROOT / "tests" / "cli"))  # tiny_task.py
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.py").write_text(TINY_1_EPOCH + "compile = dict(backend='eager')\n")
    (tmp_path / "space.py").write_text(TINY_SPACE)
    args = ["sweep", "tiny.py", "--space", "space.py", "--trials", "2", "--work-dir", "wd"]
    assert main([*args, "--seed", "0"]) == 0
    assert len(resets) == 2


class _FakeClock:
    """Each reading 600 s after the last: a sweep's time runs out trial by trial."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 600.0
        return self.now


def test_timeout_alone_starts_trials_until_the_time_is_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--timeout`` as Optuna's ``optimize(timeout=...)``: checked before each trial, a
    running trial finishes. The clock reads 600 at the start, 1200 before trial 0, 1800
    before trial 1 and 2400 after it: --timeout 1500 runs two trials."""
    import runner_sweep.sweep as sweep_module

    monkeypatch.setattr(sweep_module, "clock", _FakeClock())
    args = ("--timeout", "1500", "--pruner", "none")
    assert _main_sweep(tmp_path, monkeypatch, TINY_SPACE, *args) == 0
    assert [t.state.name for t in _study(tmp_path).trials] == ["COMPLETE", "COMPLETE"]
    err = capsys.readouterr().err
    assert "--timeout 1500 s reached; no further trial is started (the study has 2 finished)" in err
    assert (tmp_path / "wd" / "best_config.py").is_file()


def test_trials_stop_a_sweep_before_its_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import runner_sweep.sweep as sweep_module

    monkeypatch.setattr(sweep_module, "clock", _FakeClock())
    args = ("--trials", "1", "--timeout", "1e6", "--pruner", "none")
    assert _main_sweep(tmp_path, monkeypatch, TINY_SPACE, *args) == 0
    assert len(_study(tmp_path).trials) == 1
    assert "--timeout" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "needs --trials N (finished trials the study should have), --timeout SECONDS"),
        (("--timeout", "0"), "--timeout 0.0: give a number of seconds above 0."),
        (("--timeout", "nan"), "--timeout nan: give a number of seconds above 0."),
    ],
)
def test_a_sweep_without_trials_or_timeout_exits_2_before_any_study(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    message: str,
) -> None:
    assert _main_sweep(tmp_path, monkeypatch, TINY_SPACE, *args) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "wd").exists()


def test_a_stdout_nobody_reads_does_not_lose_best_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`runner-cli sweep ... | head -1`: the table was printed before best_config.py was
    written, so the broken pipe lost it."""
    import runner_sweep.output as output

    def gone(*args: Any, **kwargs: Any) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(output, "print_table", gone)
    args = ("--trials", "1", "--pruner", "none")
    assert _main_sweep(tmp_path, monkeypatch, TINY_SPACE, *args) != 0
    assert (tmp_path / "wd" / "best_config.py").is_file()
