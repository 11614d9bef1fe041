"""A work dir is self-contained: copied and continued, it never touches the original."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import torch

from runner_core.checkpoint import load_checkpoint, read_pointer

KEEP_ONE_AND_BEST = """
default_hooks = dict(
    logger=dict(interval=2, progress_bar=False),
    checkpoint=dict(interval=1, max_keep_ckpts=1, save_best='auto'),
)
"""


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_hook_state_is_relative_and_the_pointer_is_mmengines(cli, tiny_config, tmp_path):
    done = cli("train", str(tiny_config(KEEP_ONE_AND_BEST)), "--work-dir", "A")
    assert done.returncode == 0, done.stderr
    # absolute, as MMEngine writes it (its resume=True opens it from any cwd); a copy of the
    # work dir still resumes from its own file (test_copied_work_dir_continues_on_its_own_files)
    assert (tmp_path / "A" / "last_checkpoint").read_text() == str(tmp_path / "A" / "epoch_2.pth")
    state = load_checkpoint(tmp_path / "A" / "epoch_2.pth")["hooks"]["checkpoint"]
    assert state["kept_ckpts"] == ["epoch_2.pth"] and state["last_ckpt"] == "epoch_2.pth"
    assert state["best_ckpt"] == {"accuracy/top1": "best_accuracy_top1_epoch_2.pth"}


def test_copied_work_dir_continues_on_its_own_files(cli, tiny_config, tmp_path):
    config = tiny_config(KEEP_ONE_AND_BEST)
    assert cli("train", str(config), "--work-dir", "A").returncode == 0
    original = tmp_path / "A"
    # the pointer names the original's file (absolute, as MMEngine writes it)
    assert (original / "last_checkpoint").read_text() == str(original / "epoch_2.pth")
    shutil.copytree(original, tmp_path / "B")
    before = _snapshot(original)

    more = ["--cfg-options", "train_cfg.max_epochs=4"]
    done = cli("train", str(config), "--work-dir", "B", "--resume", "auto", *more)
    assert done.returncode == 0, done.stderr
    assert _snapshot(original) == before  # nothing in A read-modified, written or deleted
    copy = tmp_path / "B"
    log = max(copy.glob("*/*.log")).read_text()  # the newest run folder
    assert f"Resuming from {copy / 'epoch_2.pth'}" in log
    assert read_pointer(copy) == copy / "epoch_4.pth"
    assert not (copy / "epoch_2.pth").exists()  # the copy prunes its own old files
    assert len(list(copy.glob("best_*.pth"))) == 1


def test_checkpoint_passed_from_elsewhere_is_read_never_pruned(cli, tiny_config, tmp_path):
    config = tiny_config(KEEP_ONE_AND_BEST)
    assert cli("train", str(config), "--work-dir", "A").returncode == 0
    before = _snapshot(tmp_path / "A")
    more = ["--cfg-options", "train_cfg.max_epochs=4"]
    done = cli("train", str(config), "--work-dir", "C", "--resume", "A/epoch_2.pth", *more)
    assert done.returncode == 0, done.stderr
    assert _snapshot(tmp_path / "A") == before
    names = {p.name for p in (tmp_path / "C").glob("*.pth")}
    assert "epoch_4.pth" in names and "epoch_3.pth" not in names  # pruned its own
    resumed = torch.load(tmp_path / "C" / "epoch_4.pth", weights_only=True)
    assert resumed["meta"]["epoch"] == 4


def test_a_copied_finished_run_names_its_own_newest_checkpoint(cli, tiny_config, tmp_path):
    """Resuming a copy of a finished run trains nothing more; the closing line must name the
    copy's file, not the original's that the copied pointer holds."""
    config = tiny_config(KEEP_ONE_AND_BEST)
    assert cli("train", str(config), "--work-dir", "A").returncode == 0
    shutil.copytree(tmp_path / "A", tmp_path / "B")
    # written in the second B starts (a fast machine), or by a clock ahead: comparing its
    # time with the run's second-resolution start called it this run's (a flaky test)
    ahead = time.time() + 60
    os.utime(tmp_path / "B" / "last_checkpoint", (ahead, ahead))
    done = cli("train", str(config), "--work-dir", "B", "--resume", "auto")
    assert done.returncode == 0, done.stderr
    said = " ".join((done.stdout + done.stderr).split())
    # nothing more to train, so nothing saved: the copy's file, as the earlier run's
    assert f"{tmp_path / 'B' / 'epoch_2.pth'}, is from an earlier run." in said
