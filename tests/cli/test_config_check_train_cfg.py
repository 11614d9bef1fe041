"""`config check` refuses the train_cfg numbers the training loop refuses, in its words."""

from __future__ import annotations


def test_bad_train_cfg_numbers_are_reported_before_a_run(cli, tiny_config) -> None:
    """They passed the check ("OK") and the run failed once the data was built."""
    config = tiny_config("train_cfg = dict(by_epoch=False, max_iters='8', val_begin=-1)\n")
    done = cli("config", "check", str(config))
    assert done.returncode == 2, done.stdout
    lines = done.stderr.splitlines()
    assert lines[0].endswith("has 2 problem(s):")
    assert sorted(lines[1:]) == [
        "  - train_cfg.max_iters: must be a whole number >= 1, got '8' (str). Set it to an "
        "integer, e.g. max_iters=1.",
        "  - train_cfg.val_begin: must be >= 0, got -1.",
    ]
    run = cli("train", str(config), "--work-dir", "wd")
    assert run.returncode == 2
    assert "train_cfg.val_begin must be >= 0, got -1." in run.stderr  # the run's first


def test_val_interval_and_dynamic_intervals(cli, tiny_config) -> None:
    config = tiny_config(
        "train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=0, "
        "dynamic_intervals=[(1, 2, 3)])\n"
    )
    done = cli("config", "check", str(config))
    assert done.returncode == 2
    assert "  - train_cfg.val_interval: must be >= 1, got 0." in done.stderr
    assert "  - train_cfg.dynamic_intervals[0]: must be a pair (milestone, interval)" in (
        done.stderr
    )
