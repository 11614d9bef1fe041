"""Ctrl-C during a checkpoint save: the save completes, then the run stops.

torch.save turns a KeyboardInterrupt raised inside its write callback into a
RuntimeError; before the hold, a Ctrl-C that landed mid-save ended the CLI
with "could not save checkpoint" (exit 1) and lost the file being written.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest
import torch

from runner_core.checkpoint import (
    CheckpointError,
    hold_ctrl_c,
    load_checkpoint,
    save_checkpoint,
)
from runner_core.checkpoint import atomic as ckpt_io


@pytest.fixture(autouse=True)
def python_ctrl_c():
    """Python's own Ctrl-C handling for each test, whatever an earlier test in this
    process left installed (an inherited "ignore" is undone in tests/conftest.py)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)


def test_first_ctrl_c_is_raised_when_the_block_ends() -> None:
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with hold_ctrl_c() as hold:
            _ctrl_c()
            reached.append(hold.pressed)
    assert reached == [1]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_second_ctrl_c_interrupts_at_once() -> None:
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with hold_ctrl_c():
            _ctrl_c()
            reached.append("after first")
            _ctrl_c()
            reached.append("after second")
    assert reached == ["after first"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_nested_holds_raise_once_at_the_outer_end() -> None:
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with hold_ctrl_c() as outer:
            with hold_ctrl_c() as inner:
                _ctrl_c()
            reached.append(inner is outer)
    assert reached == [True]


def test_other_threads_and_custom_handlers_are_left_alone() -> None:
    seen = []
    previous = signal.signal(signal.SIGINT, lambda *_: seen.append("custom"))
    try:
        with hold_ctrl_c() as hold:
            _ctrl_c()
        assert seen == ["custom"] and hold.pressed == 0
    finally:
        signal.signal(signal.SIGINT, previous)

    def in_a_thread() -> None:
        with hold_ctrl_c():
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    assert seen[-1] is previous  # not replaced: only the main thread can handle signals


def _save_with_ctrl_c(monkeypatch: pytest.MonkeyPatch, presses: int) -> None:
    real_save = torch.save

    def save_pressing_ctrl_c(obj, f, *args, **kwargs):
        for _ in range(presses):
            _ctrl_c()
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(ckpt_io.torch, "save", save_pressing_ctrl_c)


def test_ctrl_c_during_save_keeps_the_new_file(monkeypatch, tmp_path: Path) -> None:
    path = tmp_path / "epoch_2.pth"
    _save_with_ctrl_c(monkeypatch, presses=1)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({"state_dict": {"w": torch.arange(4.0)}}, path)
    assert torch.equal(load_checkpoint(path)["state_dict"]["w"], torch.arange(4.0))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["epoch_2.pth"]  # no temp file


def test_second_ctrl_c_gives_up_the_save_and_keeps_the_old_file(
    monkeypatch, tmp_path: Path
) -> None:
    path = tmp_path / "latest.pth"
    save_checkpoint({"state_dict": {"w": torch.zeros(4)}}, path)
    _save_with_ctrl_c(monkeypatch, presses=2)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({"state_dict": {"w": torch.ones(4)}}, path)
    assert torch.equal(load_checkpoint(path)["state_dict"]["w"], torch.zeros(4))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.pth"]


def test_a_real_failure_during_a_held_ctrl_c_is_reported_as_the_failure(
    monkeypatch, tmp_path: Path
) -> None:
    # one Ctrl-C never raises inside torch.save, so an error there is the save's own
    def save_then_fail(obj, f, *args, **kwargs):
        _ctrl_c()
        raise RuntimeError("No space left on device")

    monkeypatch.setattr(ckpt_io.torch, "save", save_then_fail)
    with pytest.raises(CheckpointError, match="No space left on device"):
        save_checkpoint({"state_dict": {}}, tmp_path / "epoch_1.pth")
    assert list(tmp_path.iterdir()) == []


def test_a_ctrl_c_while_the_finishing_notice_is_logged_abandons_the_write() -> None:
    """The notice invites a second Ctrl-C; one landing while the notice is still being
    logged abandons the write as one landing in the wait does (it escaped, under load)."""
    from runner_core.checkpoint import background

    writer = background.BackgroundWriter()
    started = threading.Event()

    def job() -> None:
        started.set()
        while not writer.should_stop():
            threading.Event().wait(0.01)
        raise background.CheckpointAbandoned("stopped")

    logged: list[str] = []

    def log(message: str) -> None:
        logged.append(message)
        if message.startswith("Finishing"):
            raise KeyboardInterrupt  # the second Ctrl-C, before log() returned

    try:
        writer.submit(Path("ckpt.pth"), job)
        started.wait(10)
        background.finish_writes(log)
        assert not writer.busy
        assert logged[-1].startswith("Abandoned the background save of ckpt.pth")
    finally:
        writer.abandon()
        background._writers.discard(writer)
