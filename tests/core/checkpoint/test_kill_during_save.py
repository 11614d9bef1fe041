"""SIGKILL a process in the middle of saving: the files it leaves must stay usable.

A child (a new process forked by tests/support/script_server.py, which
imported torch once) saves a ~48 MB checkpoint in a loop (``latest.pth`` overwritten in
place, plus ``iter_N.pth`` + pointer + pruning to one file, as a checkpoint
hook does). The parent kills it at different moments: while the temp file
is at various fill levels (polled sizes), right after the child reports a
step (saved / pointer moved), and after a short delay. After each kill, everything the pointer and the folder
offer must load and verify, and the orphaned temp files must be cleaned up.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import torch
from script_server import ScriptServer

import runner_core.checkpoint as ckpt_pkg
from runner_core.checkpoint import (
    TEMP_FILE_PATTERN,
    cleanup_orphaned_temp_files,
    find_latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    read_pointer,
)

NUMEL = 12 * 1024 * 1024  # float32: 48 MB of tensor data per save
SRC = Path(ckpt_pkg.__file__).resolve().parents[2]

CHILD = f"""
import sys, torch
from runner_core.checkpoint import save_checkpoint, write_pointer, prune_checkpoints
work = sys.argv[1]
weight = torch.empty({NUMEL})
i = 0
while True:
    i += 1
    weight.fill_(float(i))
    state = {{"meta": {{"iter": i}}, "state_dict": {{"w": weight}}}}
    save_checkpoint(state, work + "/latest.pth")
    print("saved-latest", i, flush=True)
    path = save_checkpoint(state, work + f"/iter_{{i}}.pth")
    print("saved-iter", i, flush=True)
    write_pointer(work, path)
    print("pointed", i, flush=True)
    prune_checkpoints(work, 1)
    print("pruned", i, flush=True)
"""


def _temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if TEMP_FILE_PATTERN.match(p.name)]


def _check_loadable(path: Path) -> int:
    """Load with verification; the tensor must agree with the iteration it claims."""
    ckpt = load_checkpoint(path)
    i = ckpt["meta"]["iter"]
    weight = ckpt["state_dict"]["w"]
    assert weight.numel() == NUMEL
    assert torch.all(weight == float(i)), f"{path} mixes two saves"
    return i


def _being_written(work: Path, want: float) -> bool:
    """A temp file holds >= want bytes, or a final name holds a partial write (non-atomic save)."""
    for p in work.iterdir():
        try:
            size = p.stat().st_size
        except FileNotFoundError:
            continue
        if TEMP_FILE_PATTERN.match(p.name):
            if size >= want:
                return True
        elif p.suffix == ".pth" and want <= size < NUMEL * 4:
            return True
    return False


class _Child:
    """A child forked by the script server; what it printed, line by line."""

    def __init__(self, server: ScriptServer, argv: list[object]) -> None:
        self.server = server
        self.pid, self.replies, self.rid = server.start(argv)
        self.out = server.folder / f"{self.rid}.out"
        self.seen = 0  # lines already read
        self.returncode: int | None = None
        self.stderr = ""

    def poll(self) -> int | None:
        if self.returncode is None and not self.replies.empty():
            self.wait()
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            done = self.server.wait(self.replies, self.rid, timeout=60)
            self.returncode, self.stderr = done.returncode, done.stderr
        return self.returncode

    def readline(self, timeout: float = 60) -> str:
        """The next line the child printed (waits for it; "" once the child is gone)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.out.read_text().split("\n")[:-1]  # complete lines only
            if len(lines) > self.seen:
                self.seen += 1
                return lines[self.seen - 1]
            if self.poll() is not None:
                return ""
            time.sleep(0.0005)
        raise TimeoutError("the child printed nothing new")

    def send_signal(self, sig: int) -> None:
        os.kill(self.pid, sig)


def _kill_when(proc: _Child, work: Path, moment: tuple[str, object]) -> None:
    kind, arg = moment
    if kind == "fill":  # the file being written reached a fraction of the tensor bytes
        want = float(arg) * NUMEL * 4
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and proc.poll() is None:
            if _being_written(work, want):
                # freeze the child, then look again: if the write is still under way,
                # the kill lands mid-write for certain (no race with the rename)
                proc.send_signal(signal.SIGSTOP)
                if _being_written(work, want):
                    break
                proc.send_signal(signal.SIGCONT)
            time.sleep(0.0005)
    elif kind == "after":  # right after the child reported finishing a step
        while not proc.readline().startswith(str(arg)):
            pass
    else:  # a short delay: the kill lands anywhere in the cycle
        time.sleep(float(arg))
    proc.send_signal(signal.SIGKILL)
    proc.wait()


MOMENTS = [
    ("fill", 0.0),
    ("fill", 0.5),
    ("fill", 0.97),
    ("after", "saved-iter"),  # saved, pointer not yet moved
    ("after", "pointed"),  # pointer moved, old file not yet pruned
    ("delay", 0.1),
]


def _check_round(work: Path, moment: tuple[str, object]) -> None:
    latest_iter = _check_loadable(work / "latest.pth")
    pointed = read_pointer(work)
    assert pointed is not None and pointed.is_file(), f"{moment}: pointer dangles"
    pointed_iter = _check_loadable(pointed)
    assert latest_iter >= pointed_iter  # latest.pth is saved before the pointer moves
    assert find_latest_checkpoint(work) == str(pointed)
    for path in list_checkpoints(work):  # whatever iter_N files exist are complete
        if path != pointed:
            _check_loadable(path)

    orphans = _temp_files(work)
    if moment[0] == "fill":  # the child was frozen mid-write, then killed
        assert orphans, f"{moment}: the kill did not land mid-write"
    assert sorted(cleanup_orphaned_temp_files(work)) == sorted(orphans)
    assert _temp_files(work) == []


@pytest.mark.slow
def test_sigkill_during_save_never_corrupts(tmp_path: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    warm = ("torch", "runner_core.checkpoint")
    with ScriptServer(env, tmp_path, warm) as server:
        for round_no, moment in enumerate(MOMENTS):
            work = tmp_path / f"work{round_no}"
            work.mkdir()
            proc = _Child(server, [script, work])
            try:
                while not proc.readline().startswith("pruned"):  # a previous state exists
                    assert proc.poll() is None, proc.stderr
                assert proc.poll() is None, proc.stderr
                _kill_when(proc, work, moment)
            finally:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
            assert proc.returncode == -signal.SIGKILL
            _check_round(work, moment)
