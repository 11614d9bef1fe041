"""`config check` reads the top-level keys of the Runner class runner_type names, as a run does."""

from __future__ import annotations

from pathlib import Path

FREEZE_RUNNER = """
from runner_core import Runner
from runner_core.registry import RUNNERS


@RUNNERS.register_module()
class FreezeCheckRunner(Runner):
    def __init__(self, *args, freeze=False, work_dirs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.freeze = freeze
"""

EXTRA = """
custom_imports = dict(imports=['tiny_task', 'freeze_runner'])
runner_type = 'FreezeCheckRunner'
"""


def _check(cli, tiny_config, tmp_path: Path, extra: str):
    (tmp_path / "freeze_runner.py").write_text(FREEZE_RUNNER)
    config = tiny_config(EXTRA + extra)
    return cli("config", "check", str(config), path=[str(tmp_path)])


def test_a_misspelled_key_of_a_custom_runner_is_reported(cli, tiny_config, tmp_path) -> None:
    """`freze=True` passed the check (it was compared with the plain Runner's keys), and the
    run then failed on it."""
    done = _check(cli, tiny_config, tmp_path, "freze = True\n")
    assert done.returncode == 2, done.stdout
    assert "  - freze: Top-level config key 'freze'" in done.stderr
    assert "Did you mean 'freeze'?" in done.stderr


def test_a_custom_runners_own_keys_are_not_typos(cli, tiny_config, tmp_path) -> None:
    """`work_dirs` is the custom Runner's argument: it was reported as a typo of work_dir."""
    done = _check(cli, tiny_config, tmp_path, "freeze = True\nwork_dirs = 'elsewhere'\n")
    assert done.returncode == 0, done.stderr
    assert ": OK (" in done.stdout


def test_the_plain_runners_keys_still_count_for_a_custom_runner(cli, tiny_config, tmp_path) -> None:
    done = _check(cli, tiny_config, tmp_path, "val_evaluatr = dict(type='Accuracy')\n")
    assert done.returncode == 2
    assert "Did you mean 'val_evaluator'?" in done.stderr
