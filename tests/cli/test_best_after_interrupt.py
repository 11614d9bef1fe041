"""Best tracking survives a Ctrl-C between validation and the checkpoint hook's record."""

from __future__ import annotations

import textwrap

import torch

from runner_core.checkpoint import load_checkpoint

INTERRUPTER = '''
import os
import signal
from pathlib import Path

from runner_core.hooks import Hook
from runner_core.registry import HOOKS


@HOOKS.register_module(force=True)
class CtrlCAfterValidation(Hook):
    """Presses Ctrl-C once, right after validation of ``epoch`` computed its metrics."""

    priority = "HIGHEST"  # before the checkpoint hook records the score

    def __init__(self, epoch, marker):
        self.epoch, self.marker = epoch, Path(marker)

    def after_val_epoch(self, runner, metrics=None):
        if runner.epoch == self.epoch and not self.marker.exists():
            self.marker.write_text("pressed")
            os.kill(os.getpid(), signal.SIGINT)
'''

RUN = """
custom_imports = dict(imports=['tiny_task', 'interrupter'])
train_cfg = dict(by_epoch=True, max_epochs=3, val_interval=1)
default_hooks = dict(
    logger=dict(interval=4, progress_bar=False),
    checkpoint=dict(interval=1, save_best='auto'),
)
"""


def test_ctrl_c_after_validation_then_resume_keeps_the_same_best(cli, tiny_config, tmp_path):
    (tmp_path / "interrupter.py").write_text(textwrap.dedent(INTERRUPTER))
    plain = tiny_config(RUN, name="plain.py")
    full = cli("train", str(plain), "--work-dir", "full", path=[str(tmp_path)])
    assert full.returncode == 0, full.stderr

    marker = tmp_path / "pressed.txt"
    config = tiny_config(
        RUN
        + f"custom_hooks = [dict(type='CtrlCAfterValidation', epoch=3, marker={str(marker)!r})]\n"
    )
    stopped = cli("train", str(config), "--work-dir", "wd", path=[str(tmp_path)])
    assert stopped.returncode == 130, stopped.stderr
    assert marker.exists()
    # numbered as counts, never as a 0-based epoch index the log would show as [E+1]
    assert "after 24 completed iterations (3 completed epochs)" in stopped.stderr

    resumed = cli("train", str(config), "--work-dir", "wd", "--resume", path=[str(tmp_path)])
    assert resumed.returncode == 0, resumed.stderr
    assert "validating it now" in resumed.stdout + resumed.stderr

    best = sorted(p.name for p in (tmp_path / "full").glob("best_*.pth"))
    assert sorted(p.name for p in (tmp_path / "wd").glob("best_*.pth")) == best
    a = load_checkpoint(tmp_path / "full" / best[0])
    b = load_checkpoint(tmp_path / "wd" / best[0])
    assert a["hooks"]["checkpoint"]["best_score"] == b["hooks"]["checkpoint"]["best_score"]
    for key in a["state_dict"]:
        assert torch.equal(a["state_dict"][key], b["state_dict"][key])
