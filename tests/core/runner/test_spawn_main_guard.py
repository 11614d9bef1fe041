"""A script without an ``if __name__ == '__main__':`` guard, run with spawned data
workers: each worker re-imports it, and its Runner says what is wrong instead of
failing on the work dir's lock."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = """
import torch
from torch import nn
from torch.utils.data import TensorDataset

from runner_core import Runner
from runner_core.model import ModuleAdapter

x = torch.randn(16, 2)
runner = Runner(
    model=ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),
    work_dir='wd',
    train_dataloader=dict(dataset=TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4,
                          num_workers=1, multiprocessing_context='spawn'),
    train_cfg=dict(by_epoch=True, max_epochs=1),
    optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
    default_hooks=dict(logger=dict(progress_bar=False), checkpoint=None),
)
runner.train()
"""


def test_a_runner_built_by_a_spawned_worker_names_the_missing_main_guard(tmp_path: Path) -> None:
    script = tmp_path / "train_no_guard.py"
    script.write_text(textwrap.dedent(SCRIPT), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "if __name__ == '__main__':" in done.stderr
    assert str(script) in done.stderr  # the script at fault
    assert "WorkDirBusyError" not in done.stderr
    # the worker says it in one paragraph and exits, without its bootstrap's traceback
    # (over 100 lines for two workers); the main process then names the dead worker
    assert done.stderr.count("runner: a Runner is being built while a child process") == 1
    assert "RunnerError" not in done.stderr
    assert "a data-loader worker process died" in done.stderr


def test_the_same_script_under_the_guard_trains(tmp_path: Path) -> None:
    script = tmp_path / "train_guarded.py"
    body = textwrap.indent(textwrap.dedent(SCRIPT), "    ")
    script.write_text(f"if __name__ == '__main__':\n{body}", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
