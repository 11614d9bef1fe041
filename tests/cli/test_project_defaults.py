"""[tool.runner] in the nearest pyproject.toml: default-hooks set and work-dir root.

Precedence: the config's key > $RUNNER_DEFAULT_HOOKS > [tool.runner] > 'standard'.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runner_cli.main import main
from runner_core.errors import ConfigError
from runner_core.project import find_pyproject, project_settings
from runner_core.runner.build import active_default_set

from .conftest import HERE, TINY_CONFIG


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp/proj/pyproject.toml with [tool.runner]; the config two folders below it."""
    monkeypatch.delenv("RUNNER_DEFAULT_HOOKS", raising=False)
    root = tmp_path / "proj"
    (root / "configs" / "exp").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text('[tool.runner]\ndefault_hooks_set = "none"\n')
    (root / "pyproject.toml").write_text(
        '[project]\nname = "p"\n\n[tool.runner]\ndefault_hooks_set = "digits"\n'
        'work_dir_root = "runs"\n'
    )
    (root / "configs" / "exp" / "tiny.py").write_text(TINY_CONFIG)
    return root


def test_the_nearest_pyproject_above_the_config_wins(project: Path) -> None:
    config = project / "configs" / "exp" / "tiny.py"
    assert find_pyproject(config) == project / "pyproject.toml"
    settings = project_settings(config)
    assert settings.get("default_hooks_set") == "digits" and settings.get("work_dir_root") == "runs"


def test_precedence_config_then_environment_then_project_then_standard(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = str(project / "configs" / "exp" / "tiny.py")
    assert active_default_set(None, config)[0] == "digits"  # [tool.runner]
    monkeypatch.setenv("RUNNER_DEFAULT_HOOKS", "none")
    assert active_default_set(None, config)[0] == "none"  # the environment beats the project
    assert active_default_set("standard", config)[0] == "standard"  # the config beats both
    monkeypatch.delenv("RUNNER_DEFAULT_HOOKS")
    elsewhere = tmp_path / "elsewhere"  # no [tool.runner] above: 'standard'
    elsewhere.mkdir()
    (elsewhere / "pyproject.toml").write_text('[project]\nname = "q"\n')
    assert active_default_set(None, str(elsewhere / "c.py"))[0] == "standard"


def test_an_unknown_key_is_an_error_naming_the_file(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.runner]\ndefault_hook_set = "digits"\n')
    with pytest.raises(
        ConfigError,
        match=r"pyproject.toml has an unknown key 'default_hook_set'.*"
        r"Did you mean 'default_hooks_set'",
    ):
        project_settings(project / "configs" / "exp" / "tiny.py")


def test_plugins_shows_which_source_chose_the_set(project: Path, capsys) -> None:
    assert main(["plugins", "--config", str(project / "configs" / "exp" / "tiny.py")]) == 0
    out = capsys.readouterr().out
    assert f"active set 'digits' (chosen by [tool.runner] in {project / 'pyproject.toml'}" in out


def test_train_puts_the_work_dir_under_the_project_root(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.chdir(tmp_path)  # the root is relative to pyproject.toml, not the cwd
    config = project / "configs" / "exp" / "tiny.py"
    config.write_text(
        TINY_CONFIG.replace("max_epochs=2", "max_epochs=1") + "default_hooks_set = 'standard'\n"
    )
    assert main(["train", str(config)]) == 0
    assert (project / "runs" / "tiny" / "epoch_1.pth").is_file()
    assert not (tmp_path / "work_dirs").exists()


def test_config_check_reports_the_typo_without_a_scheduler_warning_it_causes(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """A misspelt [tool.runner] key leaves no hook set to look at: the check reports the
    typo alone, not a 'no hook steps param_scheduler' warning that the typo produced."""
    monkeypatch.syspath_prepend(str(HERE))
    (project / "pyproject.toml").write_text('[tool.runner]\ndefault_hook_set = "standard"\n')
    config = project / "configs" / "exp" / "tiny.py"
    config.write_text(TINY_CONFIG + "param_scheduler = dict(type='ConstantLR', factor=0.5)\n")
    assert main(["config", "check", str(config)]) != 0
    err = capsys.readouterr().err
    assert "unknown key 'default_hook_set'" in err
    assert "no hook steps it" not in err
