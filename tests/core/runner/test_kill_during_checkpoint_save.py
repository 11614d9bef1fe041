"""SIGKILL while CheckpointHook saves: the previous checkpoint and the pointer stay usable.

Real subprocesses (each a new process forked by tests/support/script_server.py,
which imported torch once) die at several moments of the 3rd save (``iter_3.pth``,
with ``max_keep_ckpts=1``). Afterwards the pointer names a complete
checkpoint that loads, and ``resume=True`` finishes training with the same
final weights as an uninterrupted run.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from script_server import Finished, ScriptServer

from runner_core.checkpoint import find_latest_checkpoint, load_checkpoint, read_pointer

SCRIPT = Path(__file__).with_name("kill_save_script.py")
ENV = dict(os.environ, OMP_NUM_THREADS="1")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptServer]:
    """Forks each run of the script as a new process, without importing torch again."""
    with ScriptServer(ENV, tmp_path_factory.mktemp("server")) as started:
        yield started


def _run(server: ScriptServer, work: Path, out: Path, moment: str, resume: bool) -> Finished:
    return server.run([SCRIPT, work, out, moment, "1" if resume else "0"], timeout=180)


def _kill_while_writing(server: ScriptServer, work: Path, out: Path) -> None:
    """Start a run and SIGKILL it as soon as a temp file of iter_3.pth is being written."""
    pid, replies, rid = server.start([SCRIPT, work, out, "external", "0"])
    deadline = time.monotonic() + 120
    while replies.empty() and time.monotonic() < deadline:
        if work.is_dir() and any(p.name.startswith(".iter_3.pth.tmp-") for p in work.iterdir()):
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.001)
    server.wait(replies, rid, timeout=60)


@pytest.fixture(scope="module")
def straight(
    server: ScriptServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, torch.Tensor]:
    root = tmp_path_factory.mktemp("straight")
    proc = _run(server, root / "work", root / "final.pt", "none", False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return torch.load(root / "final.pt", weights_only=True)


@pytest.mark.parametrize(
    ("moment", "pointer_at"),
    [
        ("before-replace", "iter_2.pth"),
        ("after-replace", "iter_2.pth"),
        ("before-prune", "iter_3.pth"),
        ("external", None),  # mid-write, or just after: either file may be the newest
    ],
)
def test_kill_during_save_leaves_a_resumable_checkpoint(
    tmp_path: Path,
    server: ScriptServer,
    straight: dict[str, torch.Tensor],
    moment: str,
    pointer_at: str | None,
) -> None:
    work, out = tmp_path / "work", tmp_path / "final.pt"
    if moment == "external":
        _kill_while_writing(server, work, out)
    else:
        proc = _run(server, work, out, moment, False)
        assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    assert not out.exists()

    pointer = read_pointer(work)
    assert pointer is not None and pointer.is_file()
    if pointer_at is not None:
        assert pointer.name == pointer_at
    ckpt = load_checkpoint(pointer)  # complete: CRCs verify, loads with weights_only
    assert ckpt["meta"]["iter"] in (2, 3)
    assert find_latest_checkpoint(work) is not None

    proc = _run(server, work, out, "none", True)  # auto-resume in a new process
    assert proc.returncode == 0, proc.stderr[-3000:]
    final = torch.load(out, weights_only=True)
    for key, value in straight.items():
        assert torch.equal(final[key], value), key
    assert not any(".tmp-" in p.name for p in work.iterdir())  # orphans cleaned at start
    assert {p.name for p in work.glob("*.pth")} == {"iter_6.pth"}
