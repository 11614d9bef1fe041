"""A script that Ctrl-C stopped inside ``train()`` exits as killed by SIGINT (shell: 130)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

_SCRIPT = textwrap.dedent(
    """
    import torch
    from torch import nn
    from torch.utils.data import TensorDataset
    from runner_core import Runner
    from runner_core.hooks import Hook
    from runner_core.model import ModuleAdapter

    class CtrlC(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            raise KeyboardInterrupt  # what Ctrl-C raises in the main thread

    x = torch.randn(8, 2)
    Runner(
        model=ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),
        work_dir={work_dir!r},
        train_dataloader=dict(dataset=TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        custom_hooks=[CtrlC()],
    ).train()
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="exit by signal is POSIX")
def test_ctrl_c_in_train_exits_as_killed_by_sigint(tmp_path: Path) -> None:
    """torch's compiler (loaded by any optimizer) imports ``tabulate`` at exit, which turned
    the status into 1: CPython forgets the interrupt once code is exec'd or eval'd during
    shutdown, and ``tabulate`` makes namedtuples (which eval) when imported. A stand-in
    doing the same makes the case independent of what is installed."""
    (tmp_path / "tabulate.py").write_text(
        "from collections import namedtuple\n\nRow = namedtuple('Row', 'a b')\n"
    )
    script = tmp_path / "train.py"
    script.write_text(_SCRIPT.format(work_dir=str(tmp_path / "wd")))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == -signal.SIGINT, done.stderr[-2000:]
    assert "KeyboardInterrupt" in done.stderr
