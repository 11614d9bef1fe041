"""pid_alive: asks whether a process runs without disturbing it, on POSIX and Windows."""

from __future__ import annotations

import ctypes
import ctypes.wintypes  # noqa: F401  (what the Windows branch imports; loads on Linux too)
import os
import subprocess
import sys
import time

import pytest

from runner_core import pids
from runner_core.pids import pid_alive, process_start_time


def test_this_process_runs_and_a_finished_one_does_not() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True
    )
    assert pid_alive(os.getpid())
    assert not pid_alive(int(done.stdout))
    assert not pid_alive(0) and not pid_alive(-1)


class _Kernel32:
    """OpenProcess / GetExitCodeProcess / CloseHandle of a fake Windows (functions, whose
    restype and argtypes the caller sets)."""

    def __init__(self, running: dict[int, int]) -> None:
        self.closed: list[int] = []

        def open_process(access: int, inherit: bool, pid: int) -> int:
            return pid if pid in running else 0

        def get_exit_code_process(handle: int, code: object) -> int:
            code._obj.value = running[handle]  # type: ignore[attr-defined]
            return 1

        def close_handle(handle: int) -> int:
            self.closed.append(handle)
            return 1

        self.OpenProcess = open_process
        self.GetExitCodeProcess = get_exit_code_process
        self.CloseHandle = close_handle


def test_on_windows_the_process_is_queried_never_sent_a_signal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """os.kill(pid, 0) is TerminateProcess(pid, 0) on Windows: asking a work dir's lock
    whether its run was alive killed that run."""
    kernel32 = _Kernel32({4242: 259, 4343: 0})

    def no_kill(pid: int, sig: int) -> None:
        raise AssertionError(f"os.kill({pid}, {sig}) on Windows terminates the process")

    monkeypatch.setattr(os, "kill", no_kill)
    monkeypatch.setattr(ctypes, "WinDLL", lambda *a, **k: kernel32, raising=False)
    monkeypatch.setattr(ctypes, "get_last_error", lambda: 87, raising=False)  # no such pid
    monkeypatch.setattr(pids, "_WINDOWS", True)
    running, exited, missing = pid_alive(4242), pid_alive(4343), pid_alive(99)
    assert (running, exited, missing) == (True, False, False)
    assert kernel32.closed == [4242, 4343]


def test_process_start_time_is_when_the_process_began() -> None:
    before = time.time()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        started = process_start_time(child.pid)
    finally:
        child.kill()
        child.wait()
    assert started is not None and before - 2 <= started <= time.time() + 1
    assert process_start_time(child.pid) is None  # gone


@pytest.mark.parametrize(
    ("etime", "seconds"),
    [("00:07", 7), ("12:34", 754), ("01:02:03", 3723), ("2-01:02:03", 176523), ("x", None)],
)
def test_ps_elapsed_times_are_read_in_every_form(etime: str, seconds: int | None) -> None:
    assert pids._elapsed_seconds(etime) == seconds


def test_a_start_time_read_while_the_process_is_born_is_asked_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """procps can read a process caught mid-birth as older than the epoch."""
    from runner_core import pids

    answers = iter(["441077234-00:18:40", "00:03"])

    def fake_ps(*args: object, **kwargs: object) -> subprocess.CompletedProcess:
        return subprocess.CompletedProcess([], 0, stdout=next(answers) + "\n", stderr="")

    monkeypatch.setattr(pids, "_WINDOWS", False)
    monkeypatch.setattr(pids.subprocess, "run", fake_ps)
    started = pids.process_start_time(12345)
    assert started is not None and abs(time.time() - 3 - started) < 1
