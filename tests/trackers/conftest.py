"""Fixtures for the tracker tests: the tiny CLI task with one tracker backend added."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
TINY_TASK_DIR = HERE.parent / "cli"

#: Like tests/cli's tiny task (8 iterations per epoch), with a best checkpoint.
CONFIG = """
custom_imports = dict(imports=['tiny_task'])
model = dict(type='TinyNet')
train_dataloader = dict(dataset=dict(type='TinyDataset'), batch_size=8, shuffle=True)
val_dataloader = dict(dataset=dict(type='TinyDataset', size=32), batch_size=16)
val_evaluator = dict(type='Accuracy')
train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=1)
val_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))
default_hooks = dict(logger=dict(interval=2, progress_bar=False),
                     checkpoint=dict(save_best='accuracy/top1'))
randomness = dict(seed=0)
"""


def make_train(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., int]:
    """``train(backend_cfg, extra='')``: run ``runner-cli train`` in-process in tmp_path/wd."""
    from runner_cli.main import main

    monkeypatch.syspath_prepend(str(TINY_TASK_DIR))
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RUNNER_DEFAULT_HOOKS", raising=False)

    def run(backend: str, extra: str = "") -> int:
        (tmp_path / "cfg.py").write_text(
            CONFIG
            + f"visualizer = dict(vis_backends=[dict(type='LocalVisBackend'), {backend}])\n"
            + extra
        )
        return main(["train", "cfg.py", "--work-dir", str(tmp_path / "wd")])

    return run


def quiet_trackers(monkeypatch: pytest.MonkeyPatch) -> None:
    """No tracker may reach the network in tests."""
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


@pytest.fixture
def train(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., int]:
    """``train(backend_cfg, extra='')``: run ``runner-cli train`` in-process in tmp_path/wd."""
    return make_train(tmp_path, monkeypatch)


@pytest.fixture(autouse=True)
def _quiet_trackers(monkeypatch: pytest.MonkeyPatch) -> None:
    quiet_trackers(monkeypatch)


def raise_in_iteration(kind: str) -> str:
    """Config text adding a hook (tests/trackers/boom_hook.py) that raises ``kind`` at iteration 5."""
    return f"custom_imports = dict(imports=['tiny_task', 'boom_hook'])\ncustom_hooks = [dict(type='Boom', kind='{kind}')]\n"
