"""Fixtures for runner-cli tests: run the real command in a subprocess, tiny configs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from script_server import ScriptServer  # tests/support, on the test path

HERE = Path(__file__).resolve().parent
#: what every run imports and the server imports once (torch._dynamo: the first optimizer's)
WARM_TORCH = ("numpy", "torch", "torch._dynamo", "torch.optim")

#: A tiny task (tests/cli/tiny_task.py): 64 points, a linear model, 8 iterations per epoch.
TINY_CONFIG = """
custom_imports = dict(imports=['tiny_task'])
model = dict(type='TinyNet')
train_dataloader = dict(dataset=dict(type='TinyDataset'), batch_size=8, shuffle=True)
val_dataloader = dict(dataset=dict(type='TinyDataset', size=32), batch_size=16)
test_dataloader = dict(dataset=dict(type='TinyDataset', size=32), batch_size=16)
val_evaluator = dict(type='Accuracy')
test_evaluator = dict(type='Accuracy')
train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=1)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))
default_hooks = dict(logger=dict(interval=2, progress_bar=False))
randomness = dict(seed=0)
"""


def _env(extra_path: list[str] | None = None) -> dict[str, str]:
    paths = [*(extra_path or []), str(HERE), *sys.path]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    env.pop("RUNNER_DEFAULT_HOOKS", None)
    env["NO_COLOR"] = "1"
    return env


@pytest.fixture(scope="session")
def cli_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScriptServer]:
    """Forks each ``runner-cli`` run from a process that imported torch once.

    Each run is still a new process (its own registries, entry points, environment,
    working directory and exit status); only torch's import, seconds on a loaded
    2-core machine and the same for every run, is done once. ``runner_core`` and the
    plugins are imported by each run itself, as by the command.
    """
    with ScriptServer(_env(), tmp_path_factory.mktemp("cli-server"), warm=WARM_TORCH) as server:
        yield server


@pytest.fixture
def cli(
    tmp_path: Path, cli_server: ScriptServer
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``cli(*args, path=[...], cwd=..., timeout=...)``: ``python -m runner_cli`` in tmp_path,
    in a new process (forked by ``cli_server``) with the environment of this moment; other
    ``subprocess.run`` arguments start it as a command instead."""

    def run(
        *args: str,
        path: list[str] | None = None,
        cwd: Any = None,
        timeout: float = 120,
        **popen_kwargs: Any,
    ) -> subprocess.CompletedProcess[str]:
        env = _env(path)
        argv = [str(a) for a in args]
        if popen_kwargs:  # a process set up otherwise (preexec_fn): started as the command is
            return subprocess.run(
                [sys.executable, "-m", "runner_cli", *argv],
                capture_output=True,
                text=True,
                env=env,
                cwd=cwd or tmp_path,
                timeout=timeout,
                **popen_kwargs,
            )
        done = cli_server.run(
            argv,
            timeout=timeout,
            module="runner_cli",
            cwd=str(cwd or tmp_path),
            env=env,
            path=[*(path or []), str(HERE)],
        )
        return subprocess.CompletedProcess(
            [sys.executable, "-m", "runner_cli", *argv], done.returncode, done.stdout, done.stderr
        )

    return run


@pytest.fixture
def popen_cli(tmp_path: Path) -> Callable[..., subprocess.Popen[str]]:
    def start(*args: str, **kwargs: Any) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "runner_cli", *args],
            cwd=tmp_path,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            **kwargs,
        )

    return start


def write_config(folder: Path, name: str = "tiny.py", extra: str = "") -> Path:
    """The tiny config, with ``extra`` lines appended (later assignments win)."""
    path = folder / name
    path.write_text(TINY_CONFIG + textwrap.dedent(extra), encoding="utf-8")
    return path


@pytest.fixture
def tiny_config(tmp_path: Path) -> Callable[..., Path]:
    """``tiny_config(extra='', name='tiny.py')``: write the tiny config into tmp_path."""

    def make(extra: str = "", name: str = "tiny.py") -> Path:
        return write_config(tmp_path, name, extra)

    return make


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A work dir after a 2-epoch run of the tiny config (checkpoints, logs, scalars)."""
    root = tmp_path_factory.mktemp("trained")
    config = write_config(root)
    done = subprocess.run(
        [sys.executable, "-m", "runner_cli", "train", str(config), "--work-dir", "wd"],
        cwd=root,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return root
