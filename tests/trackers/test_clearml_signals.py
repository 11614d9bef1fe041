"""ClearML's own SIGTERM/SIGINT handlers and the runner's preemption stop.

``clearml.Task.init`` installs handlers for SIGTERM and SIGINT: on SIGTERM
ClearML puts back the handler it found, ends the task, and sends the signal to
the process again; ``Task.close`` puts back what it found at ``Task.init``. The
fake ``clearml`` below does the same, so these tests show what a user of
ClearMLVisBackend gets when a scheduler preempts the job: the checkpoint, the
clean stop (exit 143) and a task marked stopped. A SIGTERM whose handler
misbehaves kills the process, so those runs are subprocesses.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
TINY_TASK_DIR = HERE.parent / "cli"

#: a fake ``clearml`` whose Task hooks signals the way ClearML's exit hooks do
FAKE_CLEARML = """
import json, os, signal

_saved = {}  # the handlers found at the first Task.init, as ClearML keeps them


def _record(**event):
    with open(os.environ["FAKE_CLEARML_EVENTS"], "a") as f:
        f.write(json.dumps(event) + "\\n")


def _on_signal(sig, frame):
    _record(event="clearml_handler", signal=sig)
    before = _saved.get(sig, signal.SIG_DFL)
    signal.signal(sig, before)
    if sig == signal.SIGTERM:
        _record(event="clearml_ended_the_task")
        os.kill(os.getpid(), sig)  # now with the handler it found
    if callable(before):
        before(sig, frame)


class _Logger:
    def report_scalar(self, title, series, value, iteration):
        pass


class Task:
    made = []

    @classmethod
    def init(cls, **kwargs):
        task = cls()
        task.id = "task%d" % len(cls.made)
        cls.made.append(task)
        if not _saved:
            for sig in (signal.SIGTERM, signal.SIGINT):
                _saved[sig] = signal.getsignal(sig)
                signal.signal(sig, _on_signal)
        _record(event="init")
        return task

    @classmethod
    def get_task(cls, task_id):
        return [t for t in cls.made if t.id == task_id][0]

    @classmethod
    def is_offline(cls):
        return False

    def get_logger(self):
        return _Logger()

    def connect_configuration(self, configuration, name=None):
        return configuration

    def set_user_properties(self, **properties):
        return True

    def upload_artifact(self, name, artifact_object):
        return True

    def close(self):
        _record(event="close")
        for sig, handler in _saved.items():
            signal.signal(sig, handler)
        _saved.clear()

    def mark_stopped(self, force=False, status_message=None):
        _record(event="stopped", reason=status_message)

    def mark_failed(self, status_reason=None, force=False):
        _record(event="failed", reason=status_reason)
"""

#: a hook that sends SIGTERM to its own process after iteration 5, as a scheduler would
SIGTERM_HOOK = """
import os, signal
from runner_core.hooks import Hook
from runner_core.registry import HOOKS


@HOOKS.register_module(force=True)
class SendSigterm(Hook):
    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter == 4:
            os.kill(os.getpid(), signal.SIGTERM)
"""

CONFIG = """
custom_imports = dict(imports=['tiny_task', 'sigterm_hook'])
model = dict(type='TinyNet')
train_dataloader = dict(dataset=dict(type='TinyDataset'), batch_size=8, shuffle=True)
train_cfg = dict(by_epoch=True, max_epochs=2)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))
default_hooks = dict(logger=dict(interval=2, progress_bar=False))
custom_hooks = [dict(type='SendSigterm')]
visualizer = dict(type='Visualizer', vis_backends=[dict(type='ClearMLVisBackend')])
"""

#: the same run built from arguments: the task starts at the first scalar, during training
SCRIPT = """
import sys
import sigterm_hook, tiny_task
from runner_core import Runner

runner = Runner(
    model=dict(type='TinyNet'),
    work_dir=sys.argv[1],
    train_dataloader=dict(dataset=dict(type='TinyDataset'), batch_size=8, shuffle=True),
    train_cfg=dict(by_epoch=True, max_epochs=2),
    optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
    default_hooks=dict(logger=dict(interval=2, progress_bar=False)),
    custom_hooks=[dict(type='SendSigterm')],
    visualizer=dict(type='Visualizer', vis_backends=[dict(type='ClearMLVisBackend')]),
)
runner.train()
"""


def _write_fakes(folder: Path) -> Path:
    """The fake clearml package and the hook module in ``folder``; the events file."""
    (folder / "clearml").mkdir(parents=True, exist_ok=True)
    (folder / "clearml" / "__init__.py").write_text(FAKE_CLEARML)
    (folder / "sigterm_hook.py").write_text(SIGTERM_HOOK)
    return folder / "events.jsonl"


def _events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _run(tmp_path: Path, args: list[str]) -> tuple[subprocess.CompletedProcess[str], Path]:
    events = _write_fakes(tmp_path / "fakes")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path / "fakes"), str(TINY_TASK_DIR), *sys.path])
    env["FAKE_CLEARML_EVENTS"] = str(events)
    env.pop("RUNNER_DEFAULT_HOOKS", None)
    done = subprocess.run(
        [sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    return done, events


def _assert_preempted_cleanly(done: subprocess.CompletedProcess[str], events: Path, wd: Path):
    from runner_core.checkpoint import load_checkpoint, read_pointer

    output = done.stdout + done.stderr
    assert done.returncode == 143, output  # the clean stop, not a kill by the signal (-15)
    assert "SIGTERM received: stopped after iteration 5" in output
    saved = read_pointer(wd)
    assert saved is not None and saved.name == "iter_5.pth"
    assert load_checkpoint(saved)["meta"]["iter"] == 5
    kinds = [e["event"] for e in _events(events)]
    # ClearML's handler never ran; the backend ended the task: closed, then marked stopped
    assert "clearml_handler" not in kinds, kinds
    assert kinds[-2:] == ["close", "stopped"], kinds
    assert "preemption signal" in _events(events)[-1]["reason"]


@pytest.mark.parametrize(
    "extra",
    ["", "env_cfg = dict(preemption=dict(signals=['SIGTERM', 'SIGUSR1']))\n"],
    ids=["default-signals", "signals-listed"],
)
def test_sigterm_with_clearml_still_saves_and_stops_cleanly(tmp_path: Path, extra: str) -> None:
    """The task starts while the Runner is built (the config goes to ClearML), before
    training; with SIGTERM listed the runner calls the handler it found after the stop."""
    (tmp_path / "cfg.py").write_text(CONFIG + extra)
    done, events = _run(tmp_path, ["-m", "runner_cli", "train", "cfg.py", "--work-dir", "wd"])
    _assert_preempted_cleanly(done, events, tmp_path / "wd")


def test_sigterm_with_a_task_started_during_training_stops_cleanly(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(SCRIPT)
    done, events = _run(tmp_path, ["train.py", str(tmp_path / "wd")])
    _assert_preempted_cleanly(done, events, tmp_path / "wd")


# -- in this process: what the signals do after the task -----------------------------------
@pytest.fixture
def clearml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The fake clearml imported here; the signals this test changes are put back after."""
    events = _write_fakes(tmp_path)
    monkeypatch.setenv("FAKE_CLEARML_EVENTS", str(events))
    spec = importlib.util.spec_from_file_location("clearml", tmp_path / "clearml" / "__init__.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, "clearml", module)
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield events
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def test_after_training_sigterm_and_sigint_do_what_they_did_before(
    clearml: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task started during training is closed after it: the runner's training-time
    handler must not come back then (a SIGTERM would no longer end the process)."""
    from runner_core import Runner

    monkeypatch.syspath_prepend(str(TINY_TASK_DIR))
    importlib.import_module("tiny_task")  # registers TinyNet and TinyDataset

    before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    runner = Runner(
        model=dict(type="TinyNet"),
        work_dir=str(tmp_path / "wd"),
        train_dataloader=dict(dataset=dict(type="TinyDataset"), batch_size=8),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        default_hooks=dict(logger=dict(interval=2, progress_bar=False)),
        visualizer=dict(type="Visualizer", vis_backends=[dict(type="ClearMLVisBackend")]),
    )
    runner.train()  # the logger hook closes the visualizer after the run
    kinds = [e["event"] for e in _events(clearml)]
    assert kinds == ["init", "close"]
    assert {sig: signal.getsignal(sig) for sig in before} == before


def test_ctrl_c_is_held_while_a_checkpoint_is_written_with_a_clearml_task(clearml: Path) -> None:
    from runner_core.checkpoint.interrupts import hold_ctrl_c
    from runner_trackers import ClearMLVisBackend

    backend = ClearMLVisBackend()
    backend.add_scalar("loss", 1.0, step=1)  # starts the task
    pressed = None
    with pytest.raises(KeyboardInterrupt):  # raised once the write is done
        with hold_ctrl_c() as hold:
            os.kill(os.getpid(), signal.SIGINT)
            pressed = hold.pressed  # reached only when the Ctrl-C is held
    assert pressed == 1
    backend.close()
