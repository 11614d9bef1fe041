"""Chaos: one training run stopped 30 times at random moments, continued with --resume auto.

SIGKILL, SIGTERM and SIGINT land mid-iteration, during validation and during
checkpoint saves. After every stop each checkpoint in the work dir must load
(CRC-verified, safe loader); at the end the weights, the optimizer state and
the best checkpoint equal those of a run that was never stopped, bit for bit.
The signal kinds, the log line to wait for and the delay are drawn from a
seeded generator (the exact moment still depends on timing).
"""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from runner_core.checkpoint import find_latest_checkpoint, load_checkpoint

RUN = """
train_dataloader = dict(dataset=dict(type='TinyDataset', delay=0.001), batch_size=8, shuffle=True)
train_cfg = dict(by_epoch=True, max_epochs=12, val_interval=1)
default_hooks = dict(
    logger=dict(interval=1, progress_bar=False),
    checkpoint=dict(interval=3, by_epoch=False, max_keep_ckpts=2, save_best='auto', fsync=False),
)
"""
STOPS = 30
#: log lines to stop at: training, validation, and the moments around saves
#: (a save follows every third "Epoch(train)" line; "accuracy/top1" ends a validation)
MARKERS = ("Epoch(train)", "Epoch(train)", "Epoch(val)", "accuracy/top1")


def _tensors_equal(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_tensors_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_tensors_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b)
    return a == b


def _all_checkpoints_load(work) -> None:
    for path in work.glob("*.pth"):
        assert "state_dict" in load_checkpoint(path), path  # verify=True: CRC of every record


class _Server:
    """tests/cli/chaos_server.py: forks runner-cli processes without re-importing torch."""

    def __init__(self, cwd: Path) -> None:
        here = Path(__file__).resolve().parent
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(here), *sys.path]), "NO_COLOR": "1"}
        env.pop("RUNNER_DEFAULT_HOOKS", None)
        self.proc = subprocess.Popen(
            [sys.executable, str(here / "chaos_server.py")],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.replies: queue.Queue[dict] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        assert self.replies.get(timeout=120) == {"ready": True}
        self.cwd = cwd

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.replies.put(json.loads(line))

    def start(self, argv: list[str], out: Path, err: Path) -> int:
        assert self.proc.stdin is not None
        request = {"argv": argv, "cwd": str(self.cwd), "out": str(out), "err": str(err)}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return int(self.replies.get(timeout=60)["pid"])

    def run(self, argv: list[str], stem: Path) -> int:
        """Run a command to its end; its exit status (output in ``stem``.out / .err)."""
        out, err = stem.with_suffix(".out"), stem.with_suffix(".err")
        self.start(argv, out, err)
        return int(self.replies.get(timeout=300)["status"])

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)
        self._reader.join(timeout=10)  # it has seen the pipe's end: close it (no leak warning)
        if self.proc.stdout is not None and not self._reader.is_alive():
            self.proc.stdout.close()


def _stop_at(server: _Server, pid: int, out: Path, marker: str, nth: int, delay: float, sig):
    """Send ``sig`` ``delay`` s after the ``nth`` ``marker`` line; return (sent, exit status)."""
    while True:
        try:
            return False, server.replies.get_nowait()["status"]
        except queue.Empty:
            pass
        if out.read_text(errors="replace").count(marker) >= nth:
            time.sleep(delay)
            os.kill(pid, sig)
            return True, server.replies.get(timeout=60)["status"]
        time.sleep(0.002)


@pytest.mark.slow
def test_thirty_random_stops_end_bit_identical(cli, tiny_config, tmp_path):
    started = time.monotonic()
    config = str(tiny_config(RUN))
    server = _Server(tmp_path)
    reference = server.run(["train", config, "--work-dir", "reference"], tmp_path / "ref")
    assert reference == 0, (tmp_path / "ref.err").read_text()[-3000:]

    rng = random.Random(20261130)
    work = tmp_path / "chaos"
    argv = ["train", config, "--work-dir", "chaos", "--resume", "auto"]
    expected = {signal.SIGKILL: {-9}, signal.SIGTERM: {143, -15}, signal.SIGINT: {130}}
    stops, kinds = 0, []
    try:
        while stops < STOPS:
            sig = rng.choice((signal.SIGKILL, signal.SIGTERM, signal.SIGINT))
            marker = rng.choice(MARKERS)
            nth = 1 + rng.randrange(2) if marker == "Epoch(train)" else 1
            delay = rng.uniform(0.0, 0.02)
            out, err = tmp_path / f"out-{stops}.txt", tmp_path / f"err-{stops}.txt"
            out.write_text("")  # the child appends: never a previous run's lines
            pid = server.start(argv, out, err)
            sent, status = _stop_at(server, pid, out, marker, nth, delay, sig)
            errors = err.read_text(errors="replace")
            if status == 0:
                pytest.fail(f"the run finished after only {stops} stops; make it longer")
            assert sent, errors[-3000:]
            stops += 1
            kinds.append(sig.name)
            print(f"{time.monotonic() - started:6.1f}s {sig.name} at {marker} #{nth}: {status}")
            assert status in expected[sig], (sig.name, status, errors[-2000:])
            assert "Traceback" not in errors, errors[-3000:]
            _all_checkpoints_load(work)
    finally:
        server.close()

    reached = load_checkpoint(find_latest_checkpoint(work))["meta"]["iter"]
    print(f"chaos: after {stops} stops the run had reached iteration {reached} of 96")
    final = cli(*argv)  # the last stretch through the installed entry point itself
    assert final.returncode == 0, final.stderr
    _all_checkpoints_load(work)
    assert {"SIGKILL", "SIGTERM", "SIGINT"} <= set(kinds)

    last = "iter_96.pth"
    a, b = load_checkpoint(tmp_path / "reference" / last), load_checkpoint(work / last)
    for key in ("state_dict", "optimizer"):
        assert _tensors_equal(a[key], b[key]), key
    best = sorted(p.name for p in (tmp_path / "reference").glob("best_*.pth"))
    assert best and sorted(p.name for p in work.glob("best_*.pth")) == best
    ra, rb = load_checkpoint(tmp_path / "reference" / best[0]), load_checkpoint(work / best[0])
    assert _tensors_equal(ra["state_dict"], rb["state_dict"])
    assert _tensors_equal(ra["optimizer"], rb["optimizer"])
    assert ra["hooks"]["checkpoint"]["best_score"] == rb["hooks"]["checkpoint"]["best_score"]
    print(f"chaos: {stops} stops ({', '.join(kinds)}) in {time.monotonic() - started:.1f} s")
