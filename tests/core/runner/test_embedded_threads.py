"""Training embedded in a bigger program: train() from worker threads (a web app, a job queue)."""

from __future__ import annotations

import gc
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from runner_core import Runner
from runner_core.hooks import Hook
from runner_core.logging import MessageHub, RunLogger, print_log
from runner_core.runner.work_dir_lock import LOCK_NAME, WorkDirBusyError

WATCHED = (signal.SIGTERM, signal.SIGUSR1, signal.SIGINT)


def _runner(work_dir: Path, name: str, hooks: list[Hook] | None = None) -> Runner:
    gen = torch.Generator().manual_seed(0)
    data = TensorDataset(
        torch.randn(16, 4, generator=gen), torch.randint(0, 3, (16,), generator=gen)
    )
    return Runner(
        model=nn.Linear(4, 3),
        work_dir=str(work_dir),
        experiment_name=name,
        train_dataloader=DataLoader(data, batch_size=4),
        train_cfg={"by_epoch": True, "max_epochs": 1},
        optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.1}},
        default_hooks_set="none",
        custom_hooks=hooks or [],
    )


def _in_thread(target: Callable[[], Any]) -> dict[str, Any]:
    """Run ``target`` in a new thread; return what it returned or raised."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = target()
        except BaseException as exc:
            out["error"] = exc

    thread = threading.Thread(target=run, name="worker")
    thread.start()
    thread.join(60)
    return out


class Pause(Hook):
    """Holds training at its second iteration until ``go`` is set."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.go = threading.Event()

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        if runner.iter == 1:
            self.reached.set()
            self.go.wait(60)


def test_train_from_a_worker_thread_says_preemption_is_off_and_leaves_signals_alone(
    tmp_path: Path,
) -> None:
    before = {sig: signal.getsignal(sig) for sig in WATCHED}
    runner = _runner(tmp_path, "worker")
    out = _in_thread(runner.train)
    assert "error" not in out, out
    assert runner.iter == 4
    assert {sig: signal.getsignal(sig) for sig in WATCHED} == before
    assert not (tmp_path / LOCK_NAME).exists()
    log = Path(runner.logger.log_file).read_text()  # type: ignore[attr-defined]
    assert "train() runs in thread 'worker', not the main thread" in log
    assert "SIGTERM and SIGUSR1 keep their usual effect" in log


def test_a_second_run_in_the_same_work_dir_from_another_thread_is_refused(
    tmp_path: Path,
) -> None:
    pause = Pause()
    first = _runner(tmp_path, "first", [pause])
    waiting = _runner(tmp_path, "waiting")  # built before the first trains: refused at train()
    thread = threading.Thread(target=first.train, name="trainer")
    thread.start()
    try:
        assert pause.reached.wait(60)
        with pytest.raises(WorkDirBusyError, match="in thread 'trainer'"):
            _runner(tmp_path, "second")  # would overwrite the first run's checkpoints
        with pytest.raises(WorkDirBusyError, match="another run of this process"):
            waiting.train()
    finally:
        pause.go.set()
        thread.join(60)
    assert first.iter == 4
    later = _runner(tmp_path, "later")  # free again once the first run's call ended
    later.train()
    assert later.iter == 4
    assert not (tmp_path / LOCK_NAME).exists()


class Mark(Hook):
    """Logs through the 'current' logger and hub, meeting the other thread at every step."""

    def __init__(self, tag: str, barrier: threading.Barrier) -> None:
        self.tag, self.barrier = tag, barrier
        self.hubs: set[str] = set()

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        self.barrier.wait(60)  # both runs are in training: the latest built is the other's
        self.hubs.add(MessageHub.get_current_instance().name)
        print_log(f"current-of {self.tag}", logger="current")


def test_two_runs_training_at_once_in_two_threads_keep_their_logs_apart(tmp_path: Path) -> None:
    barrier = threading.Barrier(2)
    marks = {tag: Mark(tag, barrier) for tag in "ab"}
    runners: dict[str, Runner] = {}

    def run(tag: str) -> None:
        runners[tag] = _runner(tmp_path / tag, f"run-{tag}", [marks[tag]])
        runners[tag].train()

    threads = [threading.Thread(target=run, args=(tag,)) for tag in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for tag, other in (("a", "b"), ("b", "a")):
        log = Path(runners[tag].logger.log_file).read_text()  # type: ignore[attr-defined]
        assert log.count(f"current-of {tag}") == 4
        assert f"current-of {other}" not in log
        assert marks[tag].hubs == {f"run-{tag}"}


def test_runs_built_in_the_main_thread_and_trained_in_two_threads_keep_their_logs_apart(
    tmp_path: Path,
) -> None:
    barrier = threading.Barrier(2)
    marks = {tag: Mark(tag, barrier) for tag in "ab"}
    runners = {tag: _runner(tmp_path / tag, f"run-{tag}", [marks[tag]]) for tag in "ab"}
    threads = [threading.Thread(target=runners[tag].train) for tag in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for tag, other in (("a", "b"), ("b", "a")):
        log = Path(runners[tag].logger.log_file).read_text()  # type: ignore[attr-defined]
        assert log.count(f"current-of {tag}") == 4
        assert f"current-of {other}" not in log
        assert marks[tag].hubs == {f"run-{tag}"}


class Probe(Hook):
    """Records, at each iteration, whether the current hub and logger are the run's own;
    with ``gate``/``go``: holds the first iteration until ``go`` is set."""

    def __init__(self, gate: threading.Event | None = None, go: threading.Event | None = None):
        self.gate, self.go = gate, go
        self.own: list[tuple[bool, bool]] = []

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        if batch_idx == 0 and self.gate is not None and self.go is not None:
            self.gate.set()
            self.go.wait(60)
        hub, logger = MessageHub.get_current_instance(), RunLogger.get_current_instance()
        self.own.append((hub is runner.message_hub, logger is runner.logger))


def test_a_run_keeps_its_logger_and_hub_after_another_threads_run_has_ended(
    tmp_path: Path,
) -> None:
    """One thread per job: job B builds, trains and ends while job A trains. A's
    logger='current' lines must not go to B's log from then on."""
    gate, go = threading.Event(), threading.Event()
    probe_a = Probe(gate, go)
    job_a = threading.Thread(target=lambda: _runner(tmp_path / "a", "job-a", [probe_a]).train())
    job_a.start()
    assert gate.wait(60)

    def run_job_b() -> None:  # a job queue keeps no reference to a finished job's thread
        job_b = threading.Thread(target=lambda: _runner(tmp_path / "b", "job-b", [Probe()]).train())
        job_b.start()
        job_b.join(60)

    run_job_b()
    gc.collect()
    go.set()
    job_a.join(60)
    assert probe_a.own == [(True, True)] * 4
