"""A notebook session: one interpreter, several Runners, a Ctrl-C mid-epoch, process state kept."""

from __future__ import annotations

import faulthandler
import io
import logging
import signal
import sys
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from runner_core import Runner
from runner_core.hooks import Hook
from runner_core.runner.work_dir_lock import LOCK_NAME


class OutStream(io.TextIOBase):
    """Like ipykernel's ``OutStream``: no file descriptor, not a terminal."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def fileno(self) -> int:
        raise io.UnsupportedOperation("fileno")

    def isatty(self) -> bool:
        return False


class CtrlC(Hook):
    """Ctrl-C in the middle of the first epoch (the kernel's interrupt raises it in the code)."""

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        if runner.iter == 2:
            raise KeyboardInterrupt


def _runner(work_dir: Path, hooks: list[Hook] | None = None) -> Runner:
    gen = torch.Generator().manual_seed(0)
    data = TensorDataset(
        torch.randn(16, 4, generator=gen), torch.randint(0, 3, (16,), generator=gen)
    )
    return Runner(
        model=nn.Linear(4, 3),
        work_dir=str(work_dir),
        experiment_name="notebook",  # the same name and work dir in every cell
        train_dataloader=DataLoader(data, batch_size=4),
        train_cfg={"by_epoch": True, "max_epochs": 1},
        optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.1}},
        default_hooks={"checkpoint": None, "logger": {"type": "LoggerHook", "interval": 1}},
        custom_hooks=hooks or [],
    )


def _process_state() -> dict[str, Any]:
    root = logging.getLogger()
    return {
        "signals": {
            sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGUSR1, signal.SIGINT)
        },
        "root logger": (root.level, list(root.handlers), logging.root.manager.disable),
        "excepthooks": (sys.excepthook, threading.excepthook),
        "faulthandler": faulthandler.is_enabled(),
        "torch": (torch.get_num_threads(), torch.get_default_dtype(), torch.is_grad_enabled()),
        "threads": sorted(t.name for t in threading.enumerate()),
    }


def test_runners_of_one_notebook_session_train_again_after_a_ctrl_c(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = OutStream()
    monkeypatch.setattr(sys, "stdout", out)  # the loggers' console is the cell's output
    monkeypatch.setattr(sys, "argv", [""])
    before = _process_state()
    first = _runner(tmp_path)
    first.train()
    filters = list(warnings.filters)  # after the first run's lazy imports

    interrupted = _runner(tmp_path, [CtrlC()])
    with pytest.raises(KeyboardInterrupt):
        interrupted.train()
    assert not (tmp_path / LOCK_NAME).exists()  # the next cell's run, or a shell's, may start
    assert _process_state() == before

    again = _runner(tmp_path)
    again.train()
    assert again.iter == 4
    assert _process_state() == before
    assert warnings.filters == filters

    console = "".join(out.parts)
    assert console.count("Exp name: notebook") == 3  # each run's lines once: no handler piles up
    for runner, train_lines in ((first, 4), (interrupted, 2), (again, 4)):
        log = Path(runner.logger.log_file).read_text()  # type: ignore[attr-defined]
        assert log.count("Environment:") == 1
        assert log.count("Epoch(train)") == train_lines
