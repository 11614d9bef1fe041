"""The current logger and hub per thread: runs trained at once in threads keep theirs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from runner_core.logging import MessageHub, RunLogger
from runner_core.logging.logger import get_logger


@pytest.fixture(autouse=True)
def _keep_the_current_logger() -> Iterator[None]:
    before = RunLogger._current
    yield
    RunLogger._current = before


def _close(*loggers: logging.Logger) -> None:
    for logger in loggers:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()


class Worker:
    """A thread that runs the functions it is given, one at a time, and stays alive."""

    def __init__(self) -> None:
        self._jobs: list[tuple[Callable[[], Any], threading.Event, list[Any]]] = []
        self._ready = threading.Condition()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._ready:
                while not self._jobs:
                    self._ready.wait()
                fn, done, out = self._jobs.pop(0)
            if fn is None:
                done.set()
                return
            out.append(fn())
            done.set()

    def run(self, fn: Callable[[], Any]) -> Any:
        done, out = threading.Event(), list[Any]()
        with self._ready:
            self._jobs.append((fn, done, out))
            self._ready.notify()
        assert done.wait(30)
        return out[0] if out else None

    def stop(self) -> None:
        self.run(None)  # type: ignore[arg-type]
        self._thread.join(30)


def test_the_latest_made_is_current_everywhere_while_one_thread_makes_them() -> None:
    first = get_logger("qa-thread-first")
    second = get_logger("qa-thread-second")
    worker = Worker()
    try:
        assert RunLogger.get_current_instance() is second  # as MMEngine: the latest
        assert worker.run(RunLogger.get_current_instance) is second  # made nothing itself
    finally:
        worker.stop()
        _close(first, second)


def test_a_thread_that_made_its_own_logger_and_hub_keeps_them_current() -> None:
    worker = Worker()
    try:
        own = worker.run(lambda: (get_logger("qa-thread-own"), MessageHub.create("qa-thread-own")))
        latest = get_logger("qa-thread-latest")  # made after, by the main thread
        hub = MessageHub.create("qa-thread-latest")
        assert RunLogger.get_current_instance() is latest
        assert MessageHub.get_current_instance() is hub
        assert worker.run(RunLogger.get_current_instance) is own[0]
        assert worker.run(MessageHub.get_current_instance) is own[1]
    finally:
        worker.stop()
        _close(own[0], latest)


def test_a_run_built_in_one_thread_claims_its_logger_in_the_thread_that_trains_it() -> None:
    built = get_logger("qa-thread-built")
    hub = MessageHub.create("qa-thread-built")
    latest = get_logger("qa-thread-built-later")
    MessageHub.create("qa-thread-built-later")
    worker = Worker()

    def during_a_run_call() -> tuple[RunLogger, MessageHub]:
        with built.claimed_current(), hub.claimed_current():  # what a run call does
            return RunLogger.get_current_instance(), MessageHub.get_current_instance()

    try:
        assert worker.run(RunLogger.get_current_instance) is latest
        assert worker.run(during_a_run_call) == (built, hub)
        assert RunLogger.get_current_instance() is latest  # the main thread's is unchanged
        assert worker.run(RunLogger.get_current_instance) is latest  # the call has ended
    finally:
        worker.stop()
        _close(built, latest)


def test_a_finished_thread_leaves_its_latest_current_for_everyone() -> None:
    made: list[RunLogger] = []
    thread = threading.Thread(target=lambda: made.append(get_logger("qa-thread-gone")))
    thread.start()
    thread.join(30)
    try:
        assert RunLogger.get_current_instance() is made[0]
    finally:
        _close(*made)


def test_an_own_logger_replaced_by_a_newer_one_of_its_name_is_not_current() -> None:
    worker = Worker()
    try:
        own = worker.run(lambda: get_logger("qa-thread-replaced"))
        newer = get_logger("qa-thread-replaced")  # same name, made by the main thread
        assert worker.run(RunLogger.get_current_instance) is newer
    finally:
        worker.stop()
        _close(own, newer)
