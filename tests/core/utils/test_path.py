"""runner_core.utils path helpers: folders made, files found, links replaced."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runner_core.utils import check_file_exist, is_filepath, mkdir_or_exist, scandir, symlink


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for rel in ["a.JPG", "b.png", ".hidden.png", "s1/c.png", "s1/s2/d.jpg", ".h/e.png"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    return tmp_path


def test_scandir_lists_files_relative_to_the_folder(tree: Path) -> None:
    assert sorted(scandir(tree)) == ["a.JPG", "b.png"]  # hidden files and folders skipped
    assert sorted(scandir(str(tree), ".png")) == ["b.png"]


def test_scandir_recursive_enters_folders_hidden_ones_too(tree: Path) -> None:
    # as MMEngine: hidden files are skipped, hidden folders are still entered
    assert sorted(scandir(tree, (".png", ".jpg"), recursive=True)) == [
        os.path.join(".h", "e.png"),
        "b.png",
        os.path.join("s1", "c.png"),
        os.path.join("s1", "s2", "d.jpg"),
    ]


def test_scandir_case_insensitive_suffix(tree: Path) -> None:
    assert sorted(scandir(tree, ".jpg", recursive=True)) == [os.path.join("s1", "s2", "d.jpg")]
    assert sorted(scandir(tree, ".jpg", recursive=True, case_sensitive=False)) == [
        "a.JPG",
        os.path.join("s1", "s2", "d.jpg"),
    ]


def test_scandir_rejects_bad_arguments(tree: Path) -> None:
    with pytest.raises(TypeError, match='"dir_path" must be a string or Path'):
        scandir(1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match='"suffix" must be a string or tuple'):
        scandir(tree, [".png"])  # type: ignore[arg-type]


def test_mkdir_or_exist(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b"
    mkdir_or_exist(target)
    mkdir_or_exist(str(target))  # already there: fine
    mkdir_or_exist("")  # nothing to do
    assert target.is_dir()


def test_check_file_exist_and_is_filepath(tmp_path: Path) -> None:
    f = tmp_path / "x.txt"
    f.write_text("x")
    check_file_exist(f)
    with pytest.raises(FileNotFoundError, match='file ".*nope.txt" does not exist'):
        check_file_exist(tmp_path / "nope.txt")
    with pytest.raises(FileNotFoundError, match="^missing: "):
        check_file_exist(tmp_path, msg_tmpl="missing: {}")  # a folder is not a file
    assert is_filepath("a") and is_filepath(Path("a")) and not is_filepath(1)


def test_symlink_replaces_an_existing_link(tmp_path: Path) -> None:
    first, second = tmp_path / "1.txt", tmp_path / "2.txt"
    first.write_text("1")
    second.write_text("2")
    link = tmp_path / "latest"
    symlink(first, link)
    symlink(second, link)
    assert link.read_text() == "2"
    with pytest.raises(FileExistsError):
        symlink(first, link, overwrite=False)


def test_fopen_opens_a_str_or_a_path_and_refuses_the_rest(tmp_path: Path) -> None:
    from runner_core.utils import fopen

    target = tmp_path / "f.txt"
    with fopen(str(target), "w") as handle:
        handle.write("abc")
    with fopen(target) as handle:
        assert handle.read() == "abc"
    with pytest.raises(ValueError, match="`filepath` should be a string or a Path"):
        fopen(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a/b", True),
        ("a/b", False),
        ("./a", False),
        ("http://host/x.pth", True),
        ("https://host/x.pth", True),
        ("s3://bucket/x", True),
        ("ftp://host/x", False),  # MMEngine knows http(s) and s3 only
    ],
)
def test_is_abs_counts_urls_as_absolute(path: str, expected: bool) -> None:
    from runner_core.utils import is_abs

    assert is_abs(path) is expected
