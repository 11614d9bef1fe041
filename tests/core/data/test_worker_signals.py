"""Data workers started during training survive a SIGTERM sent to the whole process group.

``kill -TERM -PGID``, ``timeout`` and schedulers signal every process of the
group. A worker that is still starting (a spawned one is importing torch) must
not die of it: the signal waits until the worker ignores it, and the main
process reacts alone. Each scenario runs in its own session, so the group's
signal reaches nothing but the script and its workers.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from runner_core.data import worker_signals

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

SCRIPT = textwrap.dedent(
    """
    import json, os, signal, sys

    import torch
    from torch.utils.data import Dataset

    from runner_core.data import worker_signals
    from runner_core.data.dataloader import build_dataloader


    class Masks(Dataset):
        # each sample says whether its worker still blocks SIGTERM (it would then never end)
        def __len__(self):
            return 8

        def __getitem__(self, index):
            blocked = signal.SIGTERM in signal.pthread_sigmask(signal.SIG_BLOCK, [])
            return torch.tensor([index, int(blocked)])


    def late_install(install):
        # the group's SIGTERM reaching a forked worker after torch's own handler is
        # in place and before ours: torch's handler re-raises it with its default action
        def install_after_signal(self):
            os.kill(os.getpid(), signal.SIGTERM)
            install(self)

        return install_after_signal


    if __name__ == "__main__":
        method = sys.argv[1]
        if method == "fork":
            worker_signals.Watch.install = late_install(worker_signals.Watch.install)
        received = []
        signal.signal(signal.SIGTERM, lambda signum, frame: received.append(signum))
        config = dict(dataset=Masks(), batch_size=2, num_workers=2,
                      multiprocessing_context=method)
        with worker_signals.ignored_in_workers([signal.SIGTERM]):
            batches = iter(build_dataloader(config, seed=0))
            os.killpg(0, signal.SIGTERM)  # the workers are starting now
            rows = torch.cat(list(batches)).tolist()
        main_blocks = signal.SIGTERM in signal.pthread_sigmask(signal.SIG_BLOCK, [])
        print(json.dumps(dict(rows=rows, received=len(received), main_blocks=main_blocks)))
    """
)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_group_sigterm_while_workers_start_reaches_the_main_process_only(
    tmp_path: Path, method: str
) -> None:
    script = tmp_path / "group_sigterm.py"
    script.write_text(SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), method],
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(index for index, _ in result["rows"]) == list(range(8)), result
    assert not any(blocked for _, blocked in result["rows"]), "a worker kept SIGTERM blocked"
    assert result["received"] == 1 and not result["main_blocks"], result


def _blocked() -> set[int]:
    return set(signal.pthread_sigmask(signal.SIG_BLOCK, []))


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_signals_are_held_only_while_workers_start_in_a_watch(method: str) -> None:
    before = _blocked()
    with worker_signals.held_while_starting(method):  # no watch: nothing to hold
        assert _blocked() == before
    with worker_signals.ignored_in_workers([signal.SIGUSR2]):
        with worker_signals.held_while_starting(method):
            assert _blocked() == before | {signal.SIGUSR2}
        assert _blocked() == before
        with worker_signals.held_while_starting("forkserver"):  # its server would keep it
            assert _blocked() == before


ORPHAN = textwrap.dedent(
    """
    import os, signal, subprocess, sys, time

    from runner_core.data import worker_signals

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid no process has any more: the training process, killed
    watch = worker_signals.Watch([signal.SIGTERM])
    watch.main_pid = gone.pid
    worker_signals._MAIN_CHECK_SECONDS = 0.05
    if sys.argv[1] == "starting":
        watch.install()  # a worker that finds its training process gone exits at once
        print("still here", flush=True)
    else:  # a worker whose training process goes after it started
        watch.main_pid = os.getppid()
        watch.install()
        print("installed", flush=True)
        os.kill(os.getpid(), signal.SIGTERM)  # ignored: its training process runs
        print("ignored", flush=True)
        watch.main_pid = gone.pid
        time.sleep(5)
        print("still here", flush=True)
    """
)


@pytest.mark.parametrize("when", ["starting", "running"])
def test_a_worker_whose_training_process_was_killed_exits(when: str) -> None:
    """A SIGKILL while workers started left one running for good (torch's watchdog took
    init as its parent), ignoring SIGTERM as if training still ran."""
    done = subprocess.run(
        [sys.executable, "-c", ORPHAN, when], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "still here" not in done.stdout
    if when == "running":
        assert done.stdout.split() == ["installed", "ignored"]
