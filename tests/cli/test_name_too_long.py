"""A "File name too long" (ENAMETOOLONG) names the name, its bytes and the limit, and the fix."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from runner_cli.errors import describe, exit_status_for


def _too_long(path: Path) -> OSError:
    with pytest.raises(OSError) as info:
        path.mkdir(parents=True)
    assert info.value.errno == errno.ENAMETOOLONG
    return info.value


def test_the_name_over_the_limit_is_named_with_its_bytes(tmp_path: Path) -> None:
    """It said "Check that the path exists, is writable and that the disk has free space"."""
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    name = "é" * 150  # 300 bytes in UTF-8: the limit counts bytes, not characters
    text = describe(_too_long(tmp_path / name))
    assert text.startswith("File name too long: ")
    assert f"its last component '{'é' * 40}...{'é' * 12}' is 300 bytes" in text
    assert f"limit of {limit} bytes per name" in text
    assert "shorter work dir (work_dir=..., CLI: --work-dir), experiment_name, config" in text
    assert "disk has free space" not in text


def test_a_long_folder_inside_the_path_is_named(tmp_path: Path) -> None:
    text = describe(_too_long(tmp_path / ("d" * 300) / "curves.png"))
    assert f"its component '{'d' * 40}...{'d' * 12}' is 300 bytes" in text


def test_a_whole_path_over_the_limit(tmp_path: Path) -> None:
    limit = os.pathconf(tmp_path, "PC_PATH_MAX")
    deep = tmp_path.joinpath(*["p" * 200] * (limit // 200 + 1))
    exc = _too_long(deep)
    text = describe(exc)
    assert f"bytes, over this file system's limit of {limit} bytes per path" in text
    assert exit_status_for(exc) == 1


def test_plot_to_a_too_long_file_name(cli, tmp_path: Path) -> None:
    (tmp_path / "scalars.json").write_text('{"lr": 0.1, "loss": 1.0, "iter": 1}\n')
    done = cli("plot", "scalars.json", "--out", "c" * 300 + ".png")
    assert done.returncode == 1
    assert "is 304 bytes, over this file system's limit of" in done.stderr
    assert "Traceback" not in done.stderr and "free space" not in done.stderr
