"""`torchrun --nproc_per_node 2 -m runner_cli train CONFIG --launcher pytorch` works."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from torchrun_helpers import torchrun_args, worker_env

SUPPORT = Path(__file__).resolve().parents[1] / "support"

CONFIG = """
custom_imports = dict(imports=['digits'], allow_failed_imports=False)
model = dict(type='DigitsMLPForTests')
train_dataloader = dict(dataset=dict(type='DigitsForTests', split='train'),
                        sampler=dict(type='DefaultSampler', shuffle=True), batch_size=32)
val_dataloader = dict(dataset=dict(type='DigitsForTests', split='val'),
                      sampler=dict(type='DefaultSampler', shuffle=False), batch_size=64)
val_evaluator = dict(type='Accuracy')
train_cfg = dict(by_epoch=True, max_epochs=4)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9))
env_cfg = dict(dist_cfg=dict(backend='nccl'))  # as real configs say; gloo on CPU
randomness = dict(seed=0)
"""


@pytest.mark.slow
def test_cli_train_under_torchrun_two_processes(tmp_path: Path) -> None:
    cfg = tmp_path / "digits_ddp.py"
    cfg.write_text(CONFIG)
    work = tmp_path / "work"
    env = worker_env(PYTHONPATH=os.pathsep.join([str(SUPPORT), os.environ.get("PYTHONPATH", "")]))
    cmd = [
        *torchrun_args(2),
        "-m",
        "runner_cli",
        "train",
        str(cfg),
        "--work-dir",
        str(work),
        "--launcher",
        "pytorch",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    runs = [p for p in work.iterdir() if p.is_dir()]
    assert len(runs) == 1  # one run folder: only rank 0 writes
    assert sorted(p.name for p in work.glob("epoch_*.pth")) == [
        f"epoch_{i}.pth" for i in range(1, 5)
    ]
    log = next(runs[0].glob("*.log")).read_text()
    # 1,437 samples split over 2 ranks, batch 32: 23 iterations per epoch
    assert "Epoch(train) [4][20/23]" in log
    assert "accuracy/top1" in log


@pytest.mark.slow
def test_a_failed_rank_gives_torchrun_its_error(tmp_path: Path) -> None:
    """torchrun's failure summary reads each rank's error file: without one it says
    ``error_file: <N/A>`` and points at docs. The CLI writes it, as ``@record`` would."""
    cfg = tmp_path / "bad.py"
    cfg.write_text(CONFIG.replace("max_epochs=4", "max_epochs='four'"))
    env = worker_env(PYTHONPATH=os.pathsep.join([str(SUPPORT), os.environ.get("PYTHONPATH", "")]))
    cmd = [*torchrun_args(1), "-m", "runner_cli", "train", str(cfg), "--launcher", "pytorch"]
    cmd += ["--work-dir", str(tmp_path / "work")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    summary = text[text.index("Root Cause") :]
    assert "error_file: <N/A>" not in summary, summary
    # an input error: its one paragraph, as the terminal shows it (no traceback of our code)
    assert "traceback : ConfigAssertionError: train_cfg.max_epochs must be" in summary, summary
    assert "/runner_core/" not in text and "/runner_cli/" not in text, text  # torchrun's own
