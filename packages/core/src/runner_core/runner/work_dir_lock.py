"""One run per work dir: a lock file taken before anything is written there.

Two runs in one work dir would share a run folder and a log, double the
scalars and overwrite each other's checkpoints. The first run to start
writes ``work_dir/runner.lock`` (pid, host, start time) with an exclusive
create; a second process finds it and stops with :class:`WorkDirBusyError`
(exit status 2 in the CLI) naming the other run. A lock whose process is gone
(killed with SIGKILL, the machine's power cut) is stale: on the same host it
is detected (the pid no longer runs, or now belongs to a process started
later) and taken over with a message. A lock from another host cannot be
checked from here; the message says how to remove it by hand.

The lock belongs to the process: several Runners of one process (a notebook,
a test) share it, and it is removed when the process exits.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["LOCK_NAME", "WorkDirBusyError", "acquire_work_dir_lock", "read_lock"]

LOCK_NAME = "runner.lock"

_log = logging.getLogger("runner_core.work_dir")
_held: set[Path] = set()


class WorkDirBusyError(ConfigError):
    """Another live run holds the work dir's lock."""


def _start_ticks(pid: int) -> int | None:
    """When ``pid`` started (clock ticks since boot, Linux), to tell a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def read_lock(work_dir: str | Path) -> dict[str, Any] | None:
    """The lock's record, or None when there is no (readable) lock."""
    try:
        data = json.loads((Path(work_dir) / LOCK_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _is_stale(record: dict[str, Any] | None, host: str) -> bool:
    """True when the lock's process surely no longer runs (only decidable on its own host)."""
    if record is None:
        return True  # empty or half-written: its writer died between create and write
    if record.get("host") != host:
        return False
    pid = record.get("pid")
    if not isinstance(pid, int) or not _alive(pid):
        return True
    ticks = record.get("start_ticks")
    return ticks is not None and _start_ticks(pid) not in (None, ticks)


def _record() -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "start_ticks": _start_ticks(os.getpid()),
    }


def _create(lock: Path, record: dict[str, Any]) -> bool:
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(record, fh)
    return True


def acquire_work_dir_lock(work_dir: str | Path) -> Path:
    """Take ``work_dir``'s lock for this process (created if needed); return the lock path.

    Raises :class:`WorkDirBusyError` when another live run holds it.
    """
    work = Path(work_dir)
    lock = work / LOCK_NAME
    if lock in _held:
        return lock
    work.mkdir(parents=True, exist_ok=True)
    mine = _record()
    for _ in range(5):  # a few rounds: another process may take over at the same moment
        if _create(lock, mine):
            _held.add(lock)
            atexit.register(_release, lock, mine["pid"])
            return lock
        other = read_lock(work)
        if (
            other is not None
            and other.get("pid") == mine["pid"]
            and other.get("host") == mine["host"]
        ):
            _held.add(lock)  # left by this very process (a Runner built earlier)
            return lock
        if not _is_stale(other, mine["host"]):
            raise WorkDirBusyError(_busy_message(work, other))
        if _take_over(lock, other):
            who = (
                f"pid {other.get('pid')}, started {other.get('started')}"
                if other
                else "an unreadable record"
            )
            _log.warning(
                "runner: %s was left by a run that no longer runs (%s on this host); "
                "taking it over.",
                lock,
                who,
            )
    raise WorkDirBusyError(_busy_message(work, read_lock(work)))


def _take_over(lock: Path, seen: dict[str, Any] | None) -> bool:
    """Move the stale lock aside, unless another process replaced it meanwhile."""
    aside = lock.with_name(f"{LOCK_NAME}.stale-{os.getpid()}")
    try:
        os.replace(lock, aside)
    except FileNotFoundError:
        return True  # someone else removed it: try to create again
    try:
        moved = json.loads(aside.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        moved = None
    if moved != seen:  # we moved a fresh lock of another run: put it back
        try:
            os.link(aside, lock)
        except FileExistsError:
            pass
    aside.unlink(missing_ok=True)
    return True


def _busy_message(work: Path, other: dict[str, Any] | None) -> str:
    other = other or {}
    host = other.get("host", "?")
    here = socket.gethostname()
    remedy = (
        "Wait for it to finish, stop it, or give this run another --work-dir (work_dir=...)."
        if host == here
        else f"If that run is gone (it ran on another machine), delete {work / LOCK_NAME}."
    )
    return (
        f"The work dir {str(work)!r} is in use by another run (pid {other.get('pid', '?')} on "
        f"host {host!r}, started {other.get('started', '?')}): two runs in one work dir would "
        f"mix their logs and overwrite each other's checkpoints. {remedy}"
    )


def _release(lock: Path, pid: int) -> None:
    """Remove the lock at exit if it is still this process's."""
    if os.getpid() != pid:  # a forked child (data-loader worker) exiting: not ours
        return
    record = read_lock(lock.parent)
    if (
        record is not None
        and record.get("pid") == pid
        and record.get("host") == (socket.gethostname())
    ):
        try:
            lock.unlink()
        except OSError:
            pass
    _held.discard(lock)
