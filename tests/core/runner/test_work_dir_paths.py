"""Work dirs with the names users give them: long, odd, relative, symlinked, under ``~``."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
import torch

from runner_core import Runner
from runner_core.runner.args_config import arguments_config
from runner_core.runner.work_dir import WorkDirError, prepare_work_dir
from runner_core.runner.work_dir_lock import release_work_dir_lock

STAMP = "20260101_120000"


def _prepare(work_dir: str | Path) -> tuple[Path, Path]:
    work, run = prepare_work_dir(work_dir, STAMP)
    release_work_dir_lock(work)
    return work, run


def test_a_folder_name_over_the_limit_says_how_many_bytes_it_has(tmp_path: Path) -> None:
    name = "é" * 128  # 128 characters, 256 bytes
    with pytest.raises(WorkDirError, match="256 bytes") as info:
        _prepare(tmp_path / name)
    assert info.value.errno == errno.ENAMETOOLONG  # an OSError, as MMEngine's os.makedirs
    assert "shorter" in str(info.value) and "not writable" not in str(info.value)
    assert _prepare(tmp_path / ("é" * 127))[0].is_dir()  # 254 bytes fit


def test_a_work_dir_that_is_a_file_says_so(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    with pytest.raises(FileExistsError) as info:  # as MMEngine's os.makedirs
        _prepare(tmp_path / "afile")
    assert str(info.value).startswith(f"The work dir {str(tmp_path / 'afile')!r} is a file, not")
    assert "not writable" not in str(info.value)
    assert (tmp_path / "afile").read_text() == "x"


@pytest.mark.parametrize("name", ["wd\nx", "wd\tx"])
def test_a_control_character_is_refused_before_anything_is_written(
    tmp_path: Path, name: str
) -> None:
    with pytest.raises(WorkDirError, match="control character"):
        _prepare(tmp_path / name)
    assert not (tmp_path / name).exists()  # not after a whole epoch, at the first checkpoint


def test_a_name_of_undecodable_bytes_asks_for_a_utf8_locale(tmp_path: Path) -> None:
    # what a non-ASCII --work-dir becomes under LANG=C without locale coercion
    name = "wd \udcc3\udca9"
    with pytest.raises(WorkDirError, match="UTF-8 locale"):
        _prepare(tmp_path / name)
    assert not os.path.lexists(os.fsencode(tmp_path / name))


def test_odd_names_are_kept_as_given(tmp_path: Path) -> None:
    name = "实验 1/café $HOME 'q' #h [a] a=b,c"
    work, run = _prepare(tmp_path / name)
    assert work == tmp_path / name and run == work / STAMP and run.is_dir()


def test_a_relative_work_dir_is_made_absolute_when_prepared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    work, _ = _prepare("rel wd")
    monkeypatch.chdir("/")
    assert work == tmp_path / "rel wd" and work.is_dir()  # a later chdir changes nothing


def test_a_leading_tilde_is_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    work, _ = _prepare("~/runs/exp")
    assert work == tmp_path / "home" / "runs" / "exp"  # MMEngine: ./~/runs/exp


def test_a_work_dir_under_a_symlink_is_its_real_folder(tmp_path: Path) -> None:
    (tmp_path / "disk").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "disk")
    work, _ = _prepare(tmp_path / "link" / "wd")
    assert work == tmp_path / "disk" / "wd"


def test_a_path_argument_is_kept_in_the_arguments_config(tmp_path: Path) -> None:
    cfg = arguments_config({"work_dir": tmp_path / "wd é", "load_from": Path("a b.pth")})
    out = tmp_path / "config.py"
    cfg.dump(out)
    text = out.read_text(encoding="utf-8")
    assert f"work_dir = {str(tmp_path / 'wd é')!r}" in text
    assert "load_from = 'a b.pth'" in text


def test_a_run_folder_deleted_and_made_again_in_the_same_second_gets_its_own_logger(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rm -rf work_dir, then run again within the second (a notebook cell): the second
    Runner took over the first one's logger, with an internal 'already exists' warning."""
    import shutil
    import warnings

    from runner_core.runner import runner as runner_module

    monkeypatch.setattr(runner_module, "make_timestamp", lambda: "20260101_000000")
    data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.randint(0, 2, (8,)))

    def build() -> Runner:
        return Runner(
            model=torch.nn.Linear(2, 2),
            work_dir=str(tmp_path / "wd"),
            train_dataloader=dict(dataset=data, batch_size=4),
            train_cfg=dict(by_epoch=True, max_epochs=1),
            optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
            default_hooks=dict(logger=dict(interval=1, progress_bar=False)),
        )

    first = build()
    first.train()
    shutil.rmtree(tmp_path / "wd")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        second = build()
    assert second.log_dir == first.log_dir and second.logger is not first.logger
    second.train()
    log = (second.log_dir / "20260101_000000.log").read_text()
    assert log.count("Epoch(train) [1][2/2]") == 1
