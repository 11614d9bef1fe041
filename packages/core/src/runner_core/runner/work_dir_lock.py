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

The lock is held while a Runner of this process uses the work dir: from
building it (it writes the run folder and the log) to the end of its first
``train()``/``val()``/``test()``, and again during each later call (taken
back at the call's start: :class:`WorkDirBusyError` if another process took
the work dir meanwhile). Several Runners of one process (a notebook, a test,
a sweep) share it: each owns a :class:`WorkDirHold`, and the file goes when
the last of them is released (its call ended, the Runner was
garbage-collected, or the process exits). A lock file that vanished (the
work dir deleted and made again) is created again.

Within one process the lock still keeps runs apart in time: while a run
call of one thread uses the work dir (a web app's or a job queue's worker
training in the background), building a Runner on it or starting a run call
from another thread stops with :class:`WorkDirBusyError`, as another
process would.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import json
import logging
import os
import socket
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..pids import pid_alive, process_start_time, start_ticks

__all__ = [
    "LOCK_NAME",
    "WorkDirBusyError",
    "WorkDirHold",
    "acquire_work_dir_lock",
    "held_elsewhere",
    "read_lock",
    "release_work_dir_lock",
    "run_call",
]

LOCK_NAME = "runner.lock"

_log = logging.getLogger("runner_core.work_dir")
#: lock path -> how many holds of this process are on it
_holders: dict[Path, int] = {}
#: lock path -> the thread whose run call uses that work dir now
_running: dict[Path, threading.Thread] = {}
#: one at a time: the counts, the running table and the lock file (threads of a process)
_guard = threading.RLock()


class _Call:
    """What one run call took: holds to release, work dirs to mark free, at its end."""

    def __init__(self) -> None:
        self.holds: list[WorkDirHold] = []
        self.running: list[Path] = []


#: the run calls in progress in this thread (innermost last)
_calls: contextvars.ContextVar[tuple[_Call, ...]] = contextvars.ContextVar(
    "runner_work_dir_calls", default=()
)


class WorkDirBusyError(ConfigError):
    """Another live run holds the work dir's lock."""


class WorkDirLockUnreadableError(WorkDirBusyError):
    """The work dir's lock cannot be read (another user's): waiting will not free it."""


def read_lock(work_dir: str | Path) -> dict[str, Any] | None:
    """The lock's record, or None when there is no (readable) lock."""
    return _read(Path(work_dir).expanduser() / LOCK_NAME)[0]


def _read(lock: Path) -> tuple[dict[str, Any] | None, OSError | None]:
    """``(record, None)``; ``(None, None)`` when there is no lock or no record in it yet
    (empty, half-written); ``(None, error)`` when it exists but cannot be read: another
    user's lock, made under a umask that keeps it from this user."""
    try:
        data = json.loads(lock.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, exc
    except ValueError:
        return None, None
    return (data if isinstance(data, dict) else None), None


def held_elsewhere(work_dir: str | Path) -> dict[str, Any] | None:
    """The lock's record when another live run holds ``work_dir`` (another process, or
    one whose liveness cannot be checked from here), else None: a caller can choose
    another folder before building a Runner there, instead of meeting
    :class:`WorkDirBusyError`. A lock this user cannot read gives
    ``{'unreadable': why}``."""
    lock = Path(work_dir).expanduser() / LOCK_NAME
    record, problem = _read(lock)
    if problem is not None:  # another user's run, most likely: not this user's to judge
        return {"unreadable": f"{problem.strerror or problem}; owner {_owner(lock)}"}
    if record is None or _is_mine(record) or _is_stale(record, socket.gethostname()):
        return None
    return record


#: ``ps`` gives a process's age to the second; a start this much after the lock is another's
_CLOCK_SLACK_S = 2.0


def _is_stale(record: dict[str, Any] | None, host: str) -> bool:
    """True when the lock's process surely no longer runs (only decidable on its own host)."""
    if record is None:
        return True  # empty or half-written: its writer died between create and write
    if record.get("host") != host:
        # another machine's process cannot be checked, except through the scheduler: the same
        # job (SLURM requeue, torchrun restart) at a later attempt means that attempt is over
        return _later_attempt_of_same_job(record)
    pid = record.get("pid")
    if not isinstance(pid, int) or not pid_alive(pid):
        return True
    ticks = record.get("start_ticks")
    if ticks is not None:
        now = start_ticks(pid)
        if now is not None:
            return now != ticks
    # no /proc (macOS): a process that started after the lock was written reuses the pid
    created = record.get("created")
    if not isinstance(created, (int, float)):
        return False
    started = process_start_time(pid)
    return started is not None and started > created + _CLOCK_SLACK_S


#: (job id, attempt) variables of schedulers that restart a job only once its last attempt ended
_JOB_ATTEMPTS = (
    ("SLURM_JOB_ID", "SLURM_RESTART_COUNT"),
    ("TORCHELASTIC_RUN_ID", "TORCHELASTIC_RESTART_COUNT"),
)
#: job ids the scheduler makes unique (torchrun's run id is chosen by the user)
_UNIQUE_JOB_IDS = ("SLURM_JOB_ID",)


def _job_attempts() -> dict[str, list[str]]:
    """This process's scheduler job ids and attempt numbers (torchrun's default run id
    'none' names no job: two unrelated runs share it)."""
    return {
        job: [os.environ[job], os.environ.get(attempt, "0")]
        for job, attempt in _JOB_ATTEMPTS
        if os.environ.get(job, "none") != "none"
    }


def _later_attempt_of_same_job(record: dict[str, Any]) -> bool:
    """The lock was taken by an earlier attempt of this very scheduler job (requeued, restarted).

    Every job id both records carry must agree (a SLURM job's torchrun restart is the same
    SLURM attempt, a later torchrun attempt), and one scheduler-unique id must be among them:
    torchrun's run id is the user's ``--rdzv_id``, which unrelated runs share (docs' examples
    use 100), so alone it could hand a live run's lock to another run's restarted workers.
    """
    theirs = record.get("jobs")
    if not isinstance(theirs, dict):
        return False
    later = unique = False
    for job, (job_id, attempt) in _job_attempts().items():
        seen = theirs.get(job)
        if not (isinstance(seen, list) and len(seen) == 2):
            continue
        if seen[0] != job_id:
            return False  # another job
        try:
            later = later or int(attempt) > int(seen[1])
        except ValueError:
            return False
        unique = unique or job in _UNIQUE_JOB_IDS
    return later and unique


def _record() -> dict[str, Any]:
    record: dict[str, Any] = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "start_ticks": start_ticks(os.getpid()),
        "created": time.time(),  # to tell a reused pid apart where there are no start ticks
    }
    jobs = _job_attempts()
    if jobs:
        record["jobs"] = jobs
    return record


def _create(lock: Path, record: dict[str, Any]) -> bool:
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(record, fh)
    return True


def _is_mine(record: dict[str, Any] | None) -> bool:
    return (
        record is not None
        and record.get("pid") == os.getpid()
        and record.get("host") == socket.gethostname()
    )


def acquire_work_dir_lock(work_dir: str | Path) -> Path:
    """Take one hold on ``work_dir``'s lock for this process; return the lock path.

    The lock file is created unless this process has it already (re-created
    if it vanished); give the hold back with :func:`release_work_dir_lock`.
    Raises :class:`WorkDirBusyError` when another live run holds it (another
    process, or a run call of another thread of this one).
    """
    key = _key(work_dir)
    with _guard:
        _check_not_running_elsewhere(key, Path(work_dir))
        lock = _take(Path(work_dir))
        _holders[key] = _holders.get(key, 0) + 1
    return lock


def release_work_dir_lock(work_dir: str | Path) -> None:
    """Give back one hold taken by :func:`acquire_work_dir_lock`; the last one of this
    process removes the lock file (if it is still this process's)."""
    key = _key(work_dir)
    with _guard:
        left = _holders.get(key, 0) - 1
        if left > 0:
            _holders[key] = left
            return
        _holders.pop(key, None)
        _remove_if_mine(key)


def _check_not_running_elsewhere(key: Path, work: Path) -> None:
    """:class:`WorkDirBusyError` if a run call of another live thread uses the work dir."""
    other = _running.get(key)
    if other is None or other is threading.current_thread() or not other.is_alive():
        return
    raise WorkDirBusyError(
        f"The work dir {str(work)!r} is in use by another run of this process (a run call "
        f"in thread {other.name!r}): two runs in one work dir would mix their logs and "
        "overwrite each other's checkpoints. Wait for that run to end (join its thread), or "
        "give this run another work_dir=..."
    )


def _key(work_dir: str | Path) -> Path:
    """The lock's path, spelled one way for every spelling of the folder."""
    return Path(work_dir).expanduser().resolve() / LOCK_NAME


def _take(work: Path) -> Path:
    """Make ``work``'s lock file this process's (created, or taken over when stale)."""
    lock = work / LOCK_NAME
    if _is_mine(read_lock(work)):
        return lock
    work.mkdir(parents=True, exist_ok=True)
    mine = _record()
    rounds = 0
    wait_until: float | None = None  # on this process's clock: a file's mtime may lie
    while rounds < 5:  # a few rounds: another process may take over at the same moment
        if _create(lock, mine):
            return lock
        other, problem = _read(lock)
        if problem is not None:
            raise WorkDirLockUnreadableError(_unreadable_message(work, lock, problem))
        if _is_mine(other):
            return lock
        if other is None and _written_just_now(lock):
            if wait_until is None:
                wait_until = time.monotonic() + _HALF_WRITTEN_GRACE_S
            if time.monotonic() < wait_until:
                time.sleep(_HALF_WRITTEN_POLL_S)  # its run is starting: its record comes soon
                continue
        rounds += 1
        if not _is_stale(other, mine["host"]):
            raise WorkDirBusyError(_busy_message(work, other))
        if _take_over(lock, other):
            who = (
                f"pid {other.get('pid')}, started {other.get('started')}"
                if other
                else "an empty or unparsable record"
            )
            _log.warning(
                "runner: %s was left by a run that no longer runs (%s on %s); taking it over.",
                lock,
                who,
                "this host"
                if other is None or other.get("host") == mine["host"]
                else f"host {other.get('host')!r}, an earlier attempt of this job",
            )
    raise WorkDirBusyError(_busy_message(work, read_lock(work)))


#: an empty or half-written lock this recent may be a starting run's, still writing its record
_HALF_WRITTEN_GRACE_S = 5.0
_HALF_WRITTEN_POLL_S = 0.05


def _written_just_now(lock: Path) -> bool:
    try:
        return time.time() - lock.stat().st_mtime < _HALF_WRITTEN_GRACE_S
    except FileNotFoundError:
        return False


def _owner(lock: Path) -> str:
    """Who owns ``lock``: a user name where there is one, else the uid."""
    try:
        uid = lock.stat().st_uid
    except OSError:
        return "unknown"
    try:
        import pwd

        return f"user {pwd.getpwuid(uid).pw_name!r}"
    except (ImportError, KeyError):  # Windows; a uid without a name
        return f"uid {uid}"


def _unreadable_message(work: Path, lock: Path, problem: OSError) -> str:
    return (
        f"The work dir {str(work)!r} has a lock file {str(lock)!r} that this user cannot "
        f"read ({problem.strerror or problem}; owner {_owner(lock)}): another user's run "
        "may be using the folder, and two runs in one work dir would mix their logs and "
        "overwrite each other's checkpoints. Give this run another --work-dir (work_dir=...); "
        "if that run is gone, its owner (or anyone allowed to) can delete the file."
    )


class WorkDirHold:
    """One owner's use of a folder's lock (a Runner's work dir, a hook's output folder).

    :meth:`acquire` takes it unless this hold has it (and makes the file again
    if it vanished); :meth:`release` gives it back; both may be called again.
    Acquired inside a run call (:func:`run_call`: the Runner's ``train()``,
    ``val()`` and ``test()``), the hold is released when that call ends,
    however it ends. With ``owner``, it is released when the owner is
    garbage-collected (at the latest when the process exits).

    Args:
        folder: the folder whose ``runner.lock`` this is.
        owner: release the hold when this object is garbage-collected.
        held: the caller already took one hold with :func:`acquire_work_dir_lock`
            for this object to own.
    """

    def __init__(self, folder: str | Path, owner: object = None, held: bool = False) -> None:
        self.folder = Path(folder)
        self.held = held
        if owner is not None:
            weakref.finalize(owner, self.release)

    def acquire(self) -> None:
        """Hold the lock; :class:`WorkDirBusyError` when another live run has it."""
        calls = _calls.get()
        key = _key(self.folder)
        if calls and self.held:  # held since its Runner was built: this call ends it anyway
            self._ends_with(calls)
        with _guard:
            _check_not_running_elsewhere(key, self.folder)
            if self.held:
                _take(self.folder)  # still ours, or made again if it vanished
            else:
                acquire_work_dir_lock(self.folder)
                self.held = True
            if calls and _running.get(key) is not threading.current_thread():
                # this thread's run call uses it from now on (a dead thread's mark is stale)
                _running[key] = threading.current_thread()
                calls[-1].running.append(key)
        if calls:
            self._ends_with(calls)

    def _ends_with(self, calls: tuple[_Call, ...]) -> None:
        """Release this hold when the outermost run call that took it ends."""
        if not any(self in call.holds for call in calls):
            calls[-1].holds.append(self)

    def release(self) -> None:
        """Give the lock back (the file goes when no other hold of this process has it)."""
        if self.held:
            self.held = False
            release_work_dir_lock(self.folder)


@contextlib.contextmanager
def run_call() -> Iterator[None]:
    """One run call (the Runner's ``train()``, ``val()``, ``test()``): the
    :class:`WorkDirHold` objects acquired in it are released when it ends, and
    their folders are free for the run calls of other threads again."""
    call = _Call()
    token = _calls.set((*_calls.get(), call))
    try:
        yield
    finally:
        _calls.reset(token)
        with _guard:
            for key in call.running:
                if _running.get(key) is threading.current_thread():
                    del _running[key]
        for hold in reversed(call.holds):
            hold.release()


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
        f"mix their logs and overwrite each other's checkpoints. {remedy}{_launched_alone()}"
    )


def _launched_alone() -> str:
    """Why a launcher's processes collide in one work dir: they do not train together."""
    world = os.environ.get("WORLD_SIZE", "1")
    if not world.isdigit() or int(world) < 2:
        return ""
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        return ""
    return (
        f" This process is one of {world} a launcher started (torchrun), but it runs alone "
        "(launcher 'none', or a SingleDeviceStrategy), so each of them is a run of its own: "
        "pass --launcher pytorch (launcher='pytorch', or strategy=dict(type='DDPStrategy')) "
        "to train together, or give each process its own work_dir."
    )


def _remove_if_mine(lock: Path) -> None:
    """Remove the lock file if it is this process's (not a forked child's parent's)."""
    if _is_mine(read_lock(lock.parent)):
        try:
            lock.unlink()
        except OSError:
            pass


@atexit.register
def _release_at_exit() -> None:
    """At exit: remove the locks this process still holds."""
    with _guard:
        while _holders:
            _remove_if_mine(_holders.popitem()[0])
