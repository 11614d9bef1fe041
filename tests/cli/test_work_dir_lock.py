"""One run per work dir: a lock (pid, host, start time), stale locks taken over."""

from __future__ import annotations

import gc
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from checkpoint_runs import make_runner

from runner_core.hooks import Hook
from runner_core.runner.work_dir import prepare_work_dir
from runner_core.runner.work_dir_lock import (
    LOCK_NAME,
    WorkDirBusyError,
    acquire_work_dir_lock,
    held_elsewhere,
    release_work_dir_lock,
)

LONG_RUN = """
train_cfg = dict(by_epoch=True, max_epochs=100000, val_interval=100000)
default_hooks = dict(logger=dict(interval=1000000, progress_bar=False))
"""


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_second_run_exits_75_naming_the_first_and_a_stale_lock_is_taken_over(
    cli, popen_cli, tiny_config, tmp_path
):
    config = str(tiny_config(LONG_RUN))
    first = popen_cli("train", config, "--work-dir", "wd")
    try:
        lock = tmp_path / "wd" / LOCK_NAME
        _wait_for(lambda: lock.is_file() and lock.stat().st_size > 0)
        record = json.loads(lock.read_text())
        assert record["pid"] == first.pid and record["host"] == socket.gethostname()
        runs_before = sorted(p.name for p in (tmp_path / "wd").iterdir() if p.is_dir())

        second = cli("train", config, "--work-dir", "wd")
        assert second.returncode == 75, second.stderr  # EX_TEMPFAIL: retry later
        message = second.stderr.strip()
        assert message.count("\n") == 0
        assert f"pid {first.pid}" in message and socket.gethostname() in message
        assert "--work-dir" in message
        # the second run wrote nothing: no run folder of its own
        assert sorted(p.name for p in (tmp_path / "wd").iterdir() if p.is_dir()) == runs_before
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)

    assert lock.is_file()  # SIGKILL left it behind: stale now
    again = cli("train", config, "--work-dir", "wd", "--cfg-options", "train_cfg.max_epochs=1")
    assert again.returncode == 0, again.stderr
    assert f"no longer runs (pid {first.pid}" in again.stderr and "taking it over" in again.stderr
    assert not lock.exists()  # released at exit


def test_a_finished_run_releases_the_lock(cli, tiny_config, tmp_path):
    done = cli("train", str(tiny_config()), "--work-dir", "wd")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "wd" / LOCK_NAME).exists()
    assert "taking it over" not in done.stderr


def test_lock_of_a_live_process_on_this_host_is_respected(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / LOCK_NAME).write_text(
            json.dumps({"pid": sleeper.pid, "host": socket.gethostname(), "started": "x"})
        )
        try:
            acquire_work_dir_lock(tmp_path)
        except WorkDirBusyError as exc:
            assert f"pid {sleeper.pid}" in str(exc)
        else:
            raise AssertionError("a live lock was taken")
    finally:
        sleeper.kill()
        sleeper.wait()


def _unreadable_lock(monkeypatch: pytest.MonkeyPatch, lock: Path) -> None:
    """Make ``lock`` unreadable, as another user's lock made under umask 077 is (tests may
    run as root, whom a file mode does not stop)."""
    read_text = Path.read_text

    def refuse(self: Path, *args: object, **kwargs: object) -> str:
        if self == lock:
            raise PermissionError(13, "Permission denied", str(self))
        return read_text(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", refuse)


def test_a_lock_this_user_cannot_read_is_another_users_and_never_taken_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = tmp_path / LOCK_NAME
    lock.write_text(json.dumps({"pid": 1, "host": socket.gethostname(), "started": "x"}))
    before = lock.read_bytes()
    _unreadable_lock(monkeypatch, lock)
    with pytest.raises(WorkDirBusyError) as exc:
        acquire_work_dir_lock(tmp_path)
    message = str(exc.value)
    assert str(lock) in message and "cannot read" in message and "Permission denied" in message
    assert lock.read_bytes() == before  # not moved aside, not deleted
    assert "Permission denied" in held_elsewhere(tmp_path)["unreadable"]  # test goes beside
    from runner_cli.errors import exit_status_for

    assert exit_status_for(exc.value) == 2  # waiting frees nothing: not 75 (retry later)


def test_an_empty_lock_of_a_run_starting_now_is_awaited_not_taken_over(tmp_path: Path) -> None:
    import threading

    from runner_core.pids import start_ticks

    lock = tmp_path / LOCK_NAME
    lock.touch()  # the other run has created its lock and not yet written its record
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    record = {"pid": sleeper.pid, "host": socket.gethostname(), "started": "x"}
    record["start_ticks"] = start_ticks(sleeper.pid)
    writer = threading.Timer(0.3, lambda: lock.write_text(json.dumps(record)))
    writer.start()
    try:
        with pytest.raises(WorkDirBusyError, match=f"pid {sleeper.pid}"):
            acquire_work_dir_lock(tmp_path)
        assert json.loads(lock.read_text()) == record
    finally:
        writer.join()
        sleeper.kill()
        sleeper.wait()


def test_an_empty_lock_left_long_ago_is_taken_over(tmp_path: Path) -> None:
    lock = tmp_path / LOCK_NAME
    lock.touch()
    os.utime(lock, (time.time() - 60, time.time() - 60))  # its writer died after creating it
    acquire_work_dir_lock(tmp_path)
    try:
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    finally:
        release_work_dir_lock(tmp_path)


def test_processes_of_a_launcher_that_run_alone_are_told_why_they_collide(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """torchrun with launcher 'none' (or a SingleDeviceStrategy): every process is a run of
    its own in the same work dir; the refusal says so, not only 'another run'."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / LOCK_NAME).write_text(
            json.dumps({"pid": sleeper.pid, "host": socket.gethostname(), "started": "x"})
        )
        monkeypatch.setenv("WORLD_SIZE", "2")
        with pytest.raises(WorkDirBusyError, match="one of 2 a launcher started") as info:
            acquire_work_dir_lock(tmp_path)
        assert "--launcher pytorch" in str(info.value)
        monkeypatch.setenv("WORLD_SIZE", "1")
        with pytest.raises(WorkDirBusyError) as info:
            acquire_work_dir_lock(tmp_path)
        assert "a launcher started" not in str(info.value)
    finally:
        sleeper.kill()
        sleeper.wait()


def test_lock_of_another_host_is_respected_and_explains_the_manual_fix(tmp_path: Path) -> None:
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": 1, "host": "gpu-node-7", "started": "x"}))
    try:
        acquire_work_dir_lock(tmp_path)
    except WorkDirBusyError as exc:
        assert "'gpu-node-7'" in str(exc) and f"delete {tmp_path / LOCK_NAME}" in str(exc)
    else:
        raise AssertionError("another host's lock was taken")


@pytest.mark.parametrize(
    ("job", "attempt", "taken"), [("123", "1", True), ("123", "0", False), ("124", "1", False)]
)
def test_a_requeued_job_takes_over_the_lock_of_its_earlier_attempt_on_another_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, job: str, attempt: str, taken: bool
) -> None:
    # SLURM requeues a job (same id, next restart count) only once its last attempt ended,
    # maybe on another node: `--resume auto` must go on without anyone deleting the lock
    monkeypatch.setenv("SLURM_JOB_ID", "123")
    monkeypatch.delenv("SLURM_RESTART_COUNT", raising=False)
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    first = {"pid": 1, "host": "gpu-node-7", "started": "x", "jobs": {"SLURM_JOB_ID": ["123", "0"]}}
    (tmp_path / LOCK_NAME).write_text(json.dumps(first))
    monkeypatch.setenv("SLURM_JOB_ID", job)
    monkeypatch.setenv("SLURM_RESTART_COUNT", attempt)
    if taken:
        acquire_work_dir_lock(tmp_path)
        record = json.loads((tmp_path / LOCK_NAME).read_text())
        assert record["host"] == socket.gethostname()
        assert record["jobs"] == {"SLURM_JOB_ID": [job, attempt]}  # for the next requeue
        release_work_dir_lock(tmp_path)
    else:  # the same attempt (another task of it) or another job: it may still run
        with pytest.raises(WorkDirBusyError, match="gpu-node-7"):
            acquire_work_dir_lock(tmp_path)


@pytest.mark.parametrize(
    ("theirs", "mine", "taken"),
    [
        # torchrun's run id is the user's --rdzv_id (the docs' examples use 100): alone it
        # could hand a live run's lock to another run's restarted workers
        ({"TORCHELASTIC_RUN_ID": ["100", "0"]}, {"TORCHELASTIC_RUN_ID": "100"}, False),
        # a torchrun restart inside one SLURM attempt: the same SLURM job, a later attempt
        (
            {"SLURM_JOB_ID": ["123", "0"], "TORCHELASTIC_RUN_ID": ["r", "0"]},
            {"SLURM_JOB_ID": "123", "TORCHELASTIC_RUN_ID": "r"},
            True,
        ),
        # the same SLURM job but another torchrun run id: not this job's earlier attempt
        (
            {"SLURM_JOB_ID": ["123", "0"], "TORCHELASTIC_RUN_ID": ["r", "0"]},
            {"SLURM_JOB_ID": "123", "TORCHELASTIC_RUN_ID": "s"},
            False,
        ),
    ],
)
def test_a_torchrun_restart_takes_over_only_within_one_scheduler_job(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    theirs: dict[str, list[str]],
    mine: dict[str, str],
    taken: bool,
) -> None:
    for name in ("SLURM_JOB_ID", "SLURM_RESTART_COUNT", "TORCHELASTIC_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    for name, value in mine.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TORCHELASTIC_RESTART_COUNT", "1")
    first = {"pid": 1, "host": "gpu-node-7", "started": "x", "jobs": theirs}
    (tmp_path / LOCK_NAME).write_text(json.dumps(first))
    if taken:
        acquire_work_dir_lock(tmp_path)
        release_work_dir_lock(tmp_path)
    else:
        with pytest.raises(WorkDirBusyError, match="gpu-node-7"):
            acquire_work_dir_lock(tmp_path)


def test_run_folders_of_the_same_second_never_collide(tmp_path: Path) -> None:
    folders = {prepare_work_dir(tmp_path, "20260101_120000")[1] for _ in range(3)}
    assert {p.name for p in folders} == {
        "20260101_120000",
        "20260101_120000_1",
        "20260101_120000_2",
    }
    assert all(p.is_dir() for p in folders)
    assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()


def _other_process_takes(work_dir: Path) -> subprocess.CompletedProcess[str]:
    """Another process (a terminal, ``runner-cli test``) takes the work dir's lock."""
    code = (
        "import sys; from runner_core.runner.work_dir_lock import acquire_work_dir_lock as a; "
        "a(sys.argv[1]); print('taken')"
    )
    return subprocess.run(
        [sys.executable, "-c", code, str(work_dir)], capture_output=True, text=True, timeout=120
    )


class LockDuringTraining(Hook):
    """Reads the lock's owner while training runs."""

    def __init__(self) -> None:
        self.pids: list[int | None] = []

    def before_train(self, runner) -> None:
        lock = Path(runner.work_dir) / LOCK_NAME
        self.pids.append(json.loads(lock.read_text())["pid"] if lock.exists() else None)


def test_a_runner_gives_the_lock_back_when_its_call_ends(tmp_path: Path) -> None:
    """A notebook that trained lets another process use the work dir, and takes the lock
    back for its next call, failing if that process still holds it."""
    lock = tmp_path / LOCK_NAME
    seen = LockDuringTraining()
    runner = make_runner(tmp_path, max_epochs=1, interval=1, custom_hooks=[seen])
    assert json.loads(lock.read_text())["pid"] == os.getpid()  # built: run folder, log
    runner.train()
    assert seen.pids == [os.getpid()]
    assert not lock.exists()
    other = _other_process_takes(tmp_path)  # exits: its lock is stale afterwards
    assert other.returncode == 0 and other.stdout.strip() == "taken", other.stderr

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock.write_text(json.dumps({"pid": sleeper.pid, "host": socket.gethostname()}))
        runner.train_loop._max_epochs = 2  # one more epoch, if the lock allowed it
        with pytest.raises(WorkDirBusyError, match=f"pid {sleeper.pid}"):
            runner.train()
        assert runner.epoch == 1
    finally:
        sleeper.kill()
        sleeper.wait()
    runner.train()  # the other run is gone: stale lock taken over
    assert seen.pids == [os.getpid()] * 2 and runner.epoch == 2
    assert not lock.exists()


def test_runners_of_one_process_share_the_lock_until_the_last_is_collected(
    tmp_path: Path,
) -> None:
    lock = tmp_path / LOCK_NAME
    first = make_runner(tmp_path, interval=1)
    second = make_runner(tmp_path, interval=1)
    del first
    gc.collect()
    assert json.loads(lock.read_text())["pid"] == os.getpid()  # the second still uses it
    del second
    gc.collect()
    assert not lock.exists()
    assert _other_process_takes(tmp_path).returncode == 0


def test_a_lock_that_vanished_with_its_work_dir_is_created_again(tmp_path: Path) -> None:
    work = tmp_path / "wd"
    make_runner(work, max_epochs=1, interval=1).train()
    shutil.rmtree(work)  # a sweep's or a test's cleanup
    seen = LockDuringTraining()
    runner = make_runner(work, max_epochs=1, interval=1, custom_hooks=[seen])
    runner.train()
    assert seen.pids == [os.getpid()]
    shutil.rmtree(work)
    (work).mkdir()
    runner.train_loop._max_epochs = 2
    runner.train()  # a Runner whose lock file vanished while it held it
    assert seen.pids == [os.getpid()] * 2


def test_holds_are_counted_per_process(tmp_path: Path) -> None:
    acquire_work_dir_lock(tmp_path)
    acquire_work_dir_lock(tmp_path)
    release_work_dir_lock(tmp_path)
    assert (tmp_path / LOCK_NAME).exists()
    release_work_dir_lock(tmp_path)
    assert not (tmp_path / LOCK_NAME).exists()


def test_test_beside_a_running_train_evaluates_in_a_folder_of_its_own(
    trained: Path, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MMEngine's tools/test.py runs beside the training of the same config; here the
    work dir is the training's, so the test writes to <work_dir>/test and says so,
    leaving the training's folder (its lock, checkpoints, run folders) as it was."""
    shutil.copytree(trained, tmp_path, dirs_exist_ok=True)
    wd = tmp_path / "wd"
    training = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        lock = {"pid": training.pid, "host": socket.gethostname(), "started": "x"}
        (wd / LOCK_NAME).write_text(json.dumps(lock))
        before = sorted(p.name for p in wd.iterdir())
        done = cli("test", "tiny.py", "wd/epoch_2.pth", "--cfg-options", "work_dir=wd")
        assert done.returncode == 0, done.stderr
        assert f"wd is in use by another run (pid {training.pid}" in done.stderr
        assert f"writes its logs to {os.path.join('wd', 'test')} instead" in done.stderr
        assert sorted(p.name for p in wd.iterdir()) == sorted([*before, "test"])
        assert json.loads((wd / LOCK_NAME).read_text()) == lock
        assert len(list((wd / "test").glob("*/test_metrics.json"))) == 1
        monkeypatch.setenv("HOME", str(tmp_path))
        done = cli("val", "tiny.py", "wd/epoch_2.pth", "--cfg-options", "work_dir=~/wd")
        assert done.returncode == 0, done.stderr  # ~ as the Runner reads it; val's own folder
        assert len(list((wd / "val").glob("*/val_metrics.json"))) == 1
        # an explicit --work-dir is the user's choice: refused as before
        chosen = cli("test", "tiny.py", "wd/epoch_2.pth", "--work-dir", "wd")
        assert chosen.returncode == 75 and f"pid {training.pid}" in chosen.stderr
    finally:
        training.kill()
        training.wait()


def test_held_elsewhere_names_only_a_live_run_of_another_process(tmp_path: Path) -> None:
    assert held_elsewhere(tmp_path) is None  # no lock
    acquire_work_dir_lock(tmp_path)
    try:
        assert held_elsewhere(tmp_path) is None  # this process's own
    finally:
        release_work_dir_lock(tmp_path)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True
    )
    dead = {"pid": int(gone.stdout), "host": socket.gethostname(), "started": "x"}
    (tmp_path / LOCK_NAME).write_text(json.dumps(dead))
    assert held_elsewhere(tmp_path) is None  # stale: left for the next run to take over
    remote = {"pid": 1, "host": "gpu-node-7", "started": "x"}  # cannot be checked from here
    (tmp_path / LOCK_NAME).write_text(json.dumps(remote))
    assert held_elsewhere(tmp_path) == remote


def test_without_start_ticks_a_pid_reused_after_the_lock_was_written_is_stale(
    tmp_path: Path,
) -> None:
    """macOS has no /proc, so a lock's pid could not be told apart from a later process
    reusing the number (after a reboot): the run was told to wait for it forever."""
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        record = {"pid": other.pid, "host": socket.gethostname(), "started": "x"}
        (tmp_path / LOCK_NAME).write_text(json.dumps({**record, "created": time.time() - 3600}))
        assert held_elsewhere(tmp_path) is None  # the process began an hour after the lock
        (tmp_path / LOCK_NAME).write_text(json.dumps({**record, "created": time.time()}))
        assert held_elsewhere(tmp_path) is not None  # it began first, so it may be the writer
    finally:
        other.kill()
        other.wait()


@pytest.mark.parametrize(
    ("env", "several"),
    [
        ({}, False),
        ({"WORLD_SIZE": "4", "LOCAL_WORLD_SIZE": "4"}, False),
        ({"WORLD_SIZE": "8", "LOCAL_WORLD_SIZE": "4"}, True),
        ({"SLURM_NNODES": "2"}, True),
        ({"SLURM_NNODES": "1"}, False),
        ({"OMPI_COMM_WORLD_SIZE": "8", "OMPI_COMM_WORLD_LOCAL_SIZE": "4"}, True),
    ],
)
def test_the_test_redirect_knows_a_job_spread_over_machines(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], several: bool
) -> None:
    """Ranks on different machines judge a lock's liveness differently, and must agree on
    one work dir: such jobs are not redirected (srun and mpirun set their own variables
    before the Runner sets WORLD_SIZE)."""
    from runner_cli.commands.evaluate import _several_nodes

    for key in ("WORLD_SIZE", "LOCAL_WORLD_SIZE", "SLURM_NNODES", "OMPI_COMM_WORLD_SIZE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.delenv("OMPI_COMM_WORLD_LOCAL_SIZE", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert _several_nodes() is several


def test_an_empty_lock_dated_in_the_future_is_waited_for_only_a_while(tmp_path: Path) -> None:
    lock = tmp_path / LOCK_NAME
    lock.touch()
    later = time.time() + 3600  # a clock that runs ahead (NFS), a restored backup
    os.utime(lock, (later, later))
    acquire_work_dir_lock(tmp_path)  # returned: it did not wait for that hour
    try:
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    finally:
        release_work_dir_lock(tmp_path)
