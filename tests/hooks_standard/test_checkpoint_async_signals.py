"""Signals while a background checkpoint write is half-done: nothing half-written is ever used.

A child process saves epoch 1, then resumes the async-saving run with every
write held after its first record by the test-only gate (``RUNNER_TEST_CHECKPOINT_WRITE_GATE``),
which creates ``<gate>.waiting``. The parent signals the child while the temp
file exists, then checks that the pointer names a complete checkpoint, no temp
file is picked up, and a resume finishes the run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runner_core import Runner
from runner_core.checkpoint import (
    TEMP_FILE_PATTERN,
    find_latest_checkpoint,
    load_checkpoint,
    read_pointer,
)
from runner_core.checkpoint.atomic import TEST_GATE_ENV

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX signals")

SETUP = """
import sys, torch
from torch import nn
from runner_core import Runner

class Data(torch.utils.data.Dataset):
    def __init__(self):
        gen = torch.Generator().manual_seed(0)
        self.x, self.y = torch.randn(64, 4, generator=gen), torch.randint(0, 2, (64,), generator=gen)
    def __len__(self):
        return 64
    def __getitem__(self, i):
        return {"inputs": self.x[i], "labels": self.y[i]}

def make(work, max_epochs, resume):
    torch.manual_seed(0)
    return Runner(
        model=nn.Linear(4, 2), work_dir=work,
        train_dataloader=dict(dataset=Data(), batch_size=4, shuffle=True),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        default_hooks_set="none",
        default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=1, async_save=True)),
        randomness=dict(seed=1), resume=resume, visualizer=False, log_level="INFO",
    )
"""

CHILD = (
    SETUP
    + """
import os
make(sys.argv[1], 1, False).train()  # epoch_1.pth, the pointer on it
os.environ[sys.argv[3]] = sys.argv[4]  # from now on every write is held at the gate
make(sys.argv[1], int(sys.argv[2]), True).train()
print("finished", flush=True)
"""
)


def _make(work: Path, max_epochs: int, resume: bool) -> Runner:
    namespace: dict = {}
    exec(SETUP, namespace)  # the same runner the child builds
    return namespace["make"](str(work), max_epochs, resume)


def _start(work: Path, gate: Path, max_epochs: int, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != TEST_GATE_ENV}
    with log.open("w") as out:  # the child writes through its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-c", CHILD, str(work), str(max_epochs), TEST_GATE_ENV, str(gate)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _until(condition, proc: subprocess.Popen, what: str, log: Path) -> None:
    """Poll a condition the child brings about (not a sleep standing in for it)."""
    deadline = time.monotonic() + 60
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(
                f"child exited ({proc.returncode}) before {what}: {log.read_text()[-3000:]}"
            )
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"timed out waiting for {what}: {log.read_text()[-3000:]}")
        time.sleep(0.01)


def _temp_files(work: Path) -> list[Path]:
    return [p for p in work.iterdir() if TEMP_FILE_PATTERN.match(p.name)]


def _check_valid_and_resume(work: Path, max_epochs: int) -> str:
    pointer = read_pointer(work)
    assert pointer is not None
    ckpt = load_checkpoint(pointer)  # whole: CRCs verify
    assert pointer.name == f"epoch_{ckpt['meta']['epoch']}.pth"
    assert find_latest_checkpoint(work) == str(pointer)
    _make(work, max_epochs, True).train()  # resume in this process finishes the run
    assert read_pointer(work).name == f"epoch_{max_epochs}.pth"
    assert not _temp_files(work)  # an abandoned temp file is removed at start
    return pointer.name


def test_sigkill_during_background_write_keeps_previous_checkpoint(tmp_path: Path) -> None:
    work, gate, log = tmp_path / "work", tmp_path / "gate", tmp_path / "child.log"
    proc = _start(work, gate, 2, log)
    _until(lambda: Path(f"{gate}.waiting").exists(), proc, "the held write", log)
    assert _temp_files(work)  # the epoch-2 write is half-done
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert read_pointer(work).name == "epoch_1.pth"
    assert not (work / "epoch_2.pth").exists()
    assert _check_valid_and_resume(work, 2) == "epoch_1.pth"


def test_ctrl_c_during_background_write_finishes_it(tmp_path: Path) -> None:
    work, gate, log = tmp_path / "work", tmp_path / "gate", tmp_path / "child.log"
    proc = _start(work, gate, 2, log)
    _until(lambda: Path(f"{gate}.waiting").exists(), proc, "the held write", log)
    proc.send_signal(signal.SIGINT)
    _until(lambda: "Finishing the background save" in log.read_text(), proc, "the notice", log)
    gate.touch()  # let the write go on: the interrupted run completes it before leaving
    assert proc.wait(timeout=60) != 0  # stopped by the Ctrl-C
    assert "finished" not in log.read_text()
    assert read_pointer(work).name == "epoch_2.pth"
    assert load_checkpoint(work / "epoch_2.pth")["meta"]["epoch"] == 2
    assert not _temp_files(work)


def test_second_ctrl_c_abandons_the_write_cleanly(tmp_path: Path) -> None:
    work, gate, log = tmp_path / "work", tmp_path / "gate", tmp_path / "child.log"
    proc = _start(work, gate, 2, log)
    _until(lambda: Path(f"{gate}.waiting").exists(), proc, "the held write", log)
    proc.send_signal(signal.SIGINT)
    _until(lambda: "Finishing the background save" in log.read_text(), proc, "the notice", log)
    proc.send_signal(signal.SIGINT)  # give up the write
    assert proc.wait(timeout=60) != 0
    assert "Abandoned the background save of" in log.read_text()  # the log says which stands
    assert not _temp_files(work)  # removed by the abandoned write itself
    assert read_pointer(work).name == "epoch_1.pth"
    assert not (work / "epoch_2.pth").exists()
    assert _check_valid_and_resume(work, 2) == "epoch_1.pth"


def test_sigterm_during_background_write_leaves_a_valid_checkpoint(tmp_path: Path) -> None:
    """Preemption: the held write completes first, then the stop's own save; or the run ends."""
    work, gate, log = tmp_path / "work", tmp_path / "gate", tmp_path / "child.log"
    proc = _start(work, gate, 4, log)
    _until(lambda: Path(f"{gate}.waiting").exists(), proc, "the held write", log)
    proc.send_signal(signal.SIGTERM)
    gate.touch()
    proc.wait(timeout=60)
    assert not _temp_files(work)
    pointer = read_pointer(work)
    assert pointer is not None and pointer.name != "epoch_1.pth"  # the held write was finished
    assert load_checkpoint(work / "epoch_2.pth")["meta"]["epoch"] == 2
    load_checkpoint(pointer)
    _make(work, 4, True).train()
    assert read_pointer(work).name == "epoch_4.pth"
