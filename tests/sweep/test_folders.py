"""Sweep folder names within the file system's limit: a long config name, a long --study."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from runner_core.errors import ConfigError
from runner_sweep.folders import default_sweep_dir, fit_name, name_bytes, name_max
from runner_sweep.sweep import SweepOptions, check_study_name

ROOT = Path(__file__).resolve().parents[2]
DIGITS = ROOT / "examples" / "digits-lib" / "configs" / "digits_cnn_epoch.py"
SPACE = "space = {'optim_wrapper.optimizer.lr': dict(type='float', low=1e-3, high=1e-2)}\n"


def test_a_name_that_fits_is_kept() -> None:
    assert fit_name("digits_cnn_epoch", "-sweep", 255) == "digits_cnn_epoch-sweep"
    assert fit_name("x" * 249, "-sweep", 255) == "x" * 249 + "-sweep"  # 255 bytes: fits


def test_a_long_name_is_cut_with_a_hash_the_same_every_time() -> None:
    long_a, long_b = "x" * 250 + "a", "x" * 250 + "b"
    a = fit_name(long_a, "-sweep", 255)
    assert name_bytes(a) == 255 and a.endswith("-sweep") and a.startswith("x" * 200)
    assert a == fit_name(long_a, "-sweep", 255)  # a second run continues the same study
    assert a != fit_name(long_b, "-sweep", 255)  # two long names: two folders
    assert name_bytes(fit_name(long_a, "-sweep", 143)) <= 143  # eCryptfs


def test_a_long_non_ascii_name_is_cut_between_characters() -> None:
    name = fit_name("配置" * 60, "-sweep", 255)  # 360 bytes in UTF-8
    assert name_bytes(name) <= 255 and name.startswith("配置")
    assert os.fsdecode(os.fsencode(name)) == name


def test_name_max_asks_the_nearest_existing_folder(tmp_path: Path) -> None:
    assert name_max(tmp_path / "not" / "yet") == name_max(tmp_path) > 0


def test_sweep_with_a_config_name_near_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default folder, <config name>-sweep, was over the limit: a bare OSError
    ("File name too long") before any trial. Now it is shortened, and said so."""
    pytest.importorskip("optuna")  # the sweep command opens an Optuna study
    import runner_sweep.sweep as sweep_module
    from runner_cli.main import main

    limit = name_max(tmp_path)
    config = tmp_path / ("c" * (limit - len(".py")) + ".py")  # the longest name that fits
    config.write_text(
        f"_base_ = [{str(DIGITS)!r}]\ntrain_cfg = dict(max_epochs=1)\n", encoding="utf-8"
    )
    (tmp_path / "space.py").write_text(SPACE)
    monkeypatch.chdir(tmp_path)
    opened: list[Any] = []

    def open_then_stop(opts: Any, note: Any) -> None:  # no training: the folder is the point
        opened.append(sweep_module.open_study(opts)[0])
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep_module, "sweep", open_then_stop)
    status = main(["sweep", config.name, "--space", "space.py", "--trials", "1"])
    err = capsys.readouterr().err
    assert status == 130, err
    (folder,) = (tmp_path / "work_dirs").iterdir()
    assert name_bytes(folder.name) <= limit and folder.name.endswith("-sweep")
    assert folder.name.startswith("c" * 100)
    assert (folder / "study.db").is_file()
    assert opened[0].study_name == config.stem  # the study keeps the config's whole name
    assert "too long for a folder name here" in err and "--work-dir" in err
    assert default_sweep_dir(config.name) == Path("work_dirs") / folder.name  # every run


def _opts(tmp_path: Path, config: str, study: str | None) -> SweepOptions:
    return SweepOptions(config=config, space={}, trials=1, work_dir=tmp_path, study=study)


def test_a_study_name_too_long_for_a_folder_is_an_input_error(tmp_path: Path) -> None:
    limit = name_max(tmp_path)
    check_study_name(_opts(tmp_path, "cfg.py", "s" * limit))
    with pytest.raises(ConfigError, match=rf"--study s+\.\.\. \({limit + 1} bytes\) is too long"):
        check_study_name(_opts(tmp_path, "cfg.py", "s" * (limit + 1)))


def test_the_default_study_name_names_no_folder(tmp_path: Path) -> None:
    """The default study keeps its files in WORK_DIR: a config named '.hidden.py' (a
    study '.hidden') is no '--study' mistake, and '--study ""' is the default study."""
    check_study_name(_opts(tmp_path, ".hidden.py", None))
    assert _opts(tmp_path, "cfg.py", "").study_dir == tmp_path
    with pytest.raises(ConfigError, match="--study '.hidden'"):
        check_study_name(_opts(tmp_path, "cfg.py", ".hidden"))
