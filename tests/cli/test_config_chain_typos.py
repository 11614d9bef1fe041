"""A typo in any file of the _base_ chain is an error, even when the right key is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runner_core.config.key_typos import file_top_level_keys, one_edit_apart
from runner_core.runner.runner import OTHER_KNOWN_KEYS, RUNNER_KEYS

CORPUS = Path("/work/shared/config_compat/corpus")


def test_child_typo_over_a_base_that_sets_the_key_stops_train_and_check(cli, tiny_config, tmp_path):
    tiny_config(name="base.py")
    child = tmp_path / "child.py"
    child.write_text(
        "_base_ = ['./base.py']\noptim_wraper = dict(optimizer=dict(type='SGD', lr=0.5))\n"
    )
    train = cli("train", str(child), "--work-dir", "wd")
    assert train.returncode == 2, train.stderr
    message = train.stderr.strip()
    assert "'optim_wraper'" in message and "'optim_wrapper'" in message
    assert str(child) in message and "\n" not in message
    assert not (tmp_path / "wd").exists() or not list((tmp_path / "wd").glob("*.pth"))

    check = cli("config", "check", str(child))
    assert check.returncode != 0, check.stdout
    assert "optim_wraper" in check.stdout + check.stderr


def test_typo_in_a_base_file_is_reported_with_that_file(cli, tiny_config, tmp_path):
    tiny_config(name="base.py")
    (tmp_path / "middle.py").write_text("_base_ = ['./base.py']\nlaod_from = None\n")
    (tmp_path / "top.py").write_text("_base_ = ['./middle.py']\n")
    done = cli("train", str(tmp_path / "top.py"), "--work-dir", "wd")
    assert done.returncode == 2
    assert "'laod_from'" in done.stderr and "middle.py" in done.stderr
    assert "'load_from'" in done.stderr


def test_one_edit_apart() -> None:
    assert one_edit_apart("optim_wraper", "optim_wrapper")  # deletion
    assert one_edit_apart("train_cgf", "train_cfg")  # swap
    assert one_edit_apart("val_cfx", "val_cfg")  # substitution
    assert not one_edit_apart("data_root", "work_dir")
    assert not one_edit_apart("model", "model")


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/config_compat is not present")
def test_no_false_positive_on_the_config_corpus() -> None:
    known = (*RUNNER_KEYS, *OTHER_KNOWN_KEYS)
    checked, flagged = 0, []
    for root, _, files in os.walk(CORPUS):
        for name in files:
            if not name.endswith((".py", ".json", ".yaml", ".yml")):
                continue
            path = os.path.join(root, name)
            source = Path(path).read_text(encoding="utf-8", errors="replace")
            checked += 1
            for key in file_top_level_keys(path, source):
                if key not in known and any(one_edit_apart(key, k) for k in known):
                    flagged.append((path, key))
    assert checked > 1000
    assert flagged == []
