"""runner_core.fileio backend functions on local files, and the refusal of anything else."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.error import URLError

import pytest

from runner_core.fileio import (
    BaseStorageBackend,
    FileBackendError,
    FileContentError,
    FileIOError,
    RemoteBackendUnavailableError,
    RemoteFileError,
    copy_if_symlink_fails,
    copyfile,
    copyfile_from_local,
    copyfile_to_local,
    copytree,
    copytree_from_local,
    copytree_to_local,
    dict_from_file,
    dump,
    exists,
    get,
    get_local_path,
    get_text,
    isdir,
    isfile,
    join_path,
    list_dir_or_file,
    list_from_file,
    load,
    put,
    put_text,
    register_backend,
    remove,
    rmtree,
)


def test_get_put_and_checks(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "x.bin"
    put(b"\x00\x01", target)  # the folder is created
    assert get(target) == b"\x00\x01"
    put_text("héllo", str(tmp_path / "t" / "x.txt"))
    assert get_text(tmp_path / "t" / "x.txt") == "héllo"
    assert exists(target) and isfile(target) and not isdir(target)
    assert isdir(tmp_path) and not isfile(tmp_path) and not exists(tmp_path / "nope")
    assert join_path(str(tmp_path), "a", "b.txt") == os.path.join(str(tmp_path), "a", "b.txt")
    assert join_path(tmp_path, "a") == str(tmp_path / "a")
    assert exists(target, backend_args={"backend": "local"})


def test_get_local_path_yields_the_path_and_keeps_the_file(tmp_path: Path) -> None:
    f = tmp_path / "x.txt"
    f.write_text("x")
    with get_local_path(f) as local:
        assert local == str(f)
    assert f.exists()


def test_list_dir_or_file(tmp_path: Path) -> None:
    for rel in ["a.txt", "b.png", ".hidden.txt", "d1/c.txt", "d1/d2/e.txt"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    assert sorted(list_dir_or_file(tmp_path)) == ["a.txt", "b.png", "d1"]
    assert sorted(list_dir_or_file(tmp_path, list_file=False, recursive=True)) == [
        "d1",
        os.path.join("d1", "d2"),
    ]
    assert sorted(list_dir_or_file(tmp_path, list_dir=False, suffix=".txt", recursive=True)) == [
        "a.txt",
        os.path.join("d1", "c.txt"),
        os.path.join("d1", "d2", "e.txt"),
    ]
    with pytest.raises(TypeError, match="`suffix` should be None when `list_dir` is True"):
        list_dir_or_file(tmp_path, suffix=".txt")


def test_list_from_file_options(tmp_path: Path) -> None:
    f = tmp_path / "lines.txt"
    f.write_bytes(b"a 1\nb 2 3\r\nc 4\n\nd 5\n")
    assert list_from_file(f) == ["a 1", "b 2 3", "c 4", "", "d 5"]
    assert list_from_file(str(f), prefix="p/", offset=1, max_num=2) == ["p/b 2 3", "p/c 4"]
    assert list_from_file(f, max_num=-1) == list_from_file(f)  # 0 or less: every line
    assert list_from_file(f, offset=10) == []
    g = tmp_path / "latin.txt"
    g.write_bytes("é\n".encode("latin-1"))
    assert list_from_file(g, encoding="latin-1") == ["é"]


def test_dict_from_file(tmp_path: Path) -> None:
    f = tmp_path / "map.txt"
    f.write_text("1 cat\n2 dog x\n")
    assert dict_from_file(f) == {"1": "cat", "2": ["dog", "x"]}
    assert dict_from_file(f, key_type=int) == {1: "cat", 2: ["dog", "x"]}
    f.write_text("1 cat\nlonely\n")
    with pytest.raises(ValueError, match=r"map.txt:2: dict_from_file needs at least two columns"):
        dict_from_file(f)


def test_dict_from_file_short_line_is_an_assertion_error(tmp_path: Path) -> None:
    # MMEngine asserts every line has two columns: code catching AssertionError keeps working
    f = tmp_path / "map.txt"
    f.write_text("1 cat\n\n2 dog\n")
    with pytest.raises(AssertionError, match=r"map.txt:2:") as info:
        dict_from_file(f)
    assert isinstance(info.value, FileContentError) and isinstance(info.value, ValueError)


URLS = [
    ("s3://bucket/ann.json", "s3"),
    ("https://example.com/ann.json", "https"),
    ("cluster:s3://bucket/ann.json", "s3"),  # MMEngine's Petrel cluster form
]


@pytest.mark.parametrize(("url", "scheme"), URLS)
@pytest.mark.parametrize(
    "call",
    [
        load,
        get,
        get_text,
        exists,
        isfile,
        list_from_file,
        dict_from_file,
        lambda p: dump({"a": 1}, p),
        lambda p: put(b"x", p),
        lambda p: join_path(p, "x"),
        lambda p: get_local_path(p).__enter__(),
        lambda p: list_dir_or_file(p),
    ],
)
def test_urls_are_refused_naming_the_path(url: str, scheme: str, call: object) -> None:
    with pytest.raises(FileIOError) as info:
        call(url)  # type: ignore[operator]
    if scheme == "s3":  # MMEngine's PetrelBackend: ImportError without petrel_client
        assert isinstance(info.value, RemoteBackendUnavailableError)
        assert isinstance(info.value, ImportError)
    else:  # MMEngine's HTTPBackend: urlopen's URLError offline
        assert isinstance(info.value, RemoteFileError)
        assert isinstance(info.value, URLError)
        assert isinstance(info.value, FileNotFoundError)  # as the checkpoint loader's refusal
    message = str(info.value)
    assert message.startswith(f"{url!r} is a URL ({scheme}://): ")
    assert "runner reads local files only and never downloads at run time" in message


@pytest.mark.parametrize("backend", ["petrel", "http", "memcached"])
def test_non_local_backends_are_refused(tmp_path: Path, backend: str) -> None:
    f = tmp_path / "a.json"
    f.write_text("{}")
    with pytest.raises(FileBackendError) as info:
        load(f, backend_args={"backend": backend})
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert f"asks for the {backend!r} storage backend" in message and str(f) in message
    assert "runner reads local files only" in message
    with (
        pytest.raises(FileBackendError, match=f"'{backend}' storage backend"),
        pytest.warns(DeprecationWarning, match='"file_client_args" will be deprecated'),
    ):
        list_from_file(f, file_client_args={"backend": backend})


def test_local_backend_args_are_accepted(tmp_path: Path) -> None:
    f = tmp_path / "a.json"
    dump({"a": 1}, f, backend_args={"backend": "local"})
    with pytest.warns(DeprecationWarning, match='Please use "backend_args" instead'):
        assert load(f, file_client_args={"backend": "disk"}) == {"a": 1}
    assert load(f, backend_args={}) == {"a": 1}
    with pytest.raises(FileBackendError, match="cannot be set at the same time"):
        load(f, backend_args={}, file_client_args={})


def test_put_text_encoding(tmp_path: Path) -> None:
    put_text("é", tmp_path / "l.txt", encoding="latin-1")
    assert (tmp_path / "l.txt").read_bytes() == b"\xe9"
    assert get_text(tmp_path / "l.txt", "latin-1") == "é"


def test_copy_and_remove_functions(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text("data")
    (tmp_path / "dir").mkdir()
    assert copyfile(src, tmp_path / "dir") == str(tmp_path / "dir" / "a.txt")
    assert copyfile(str(src), str(tmp_path / "b.txt")) == str(tmp_path / "b.txt")
    assert copyfile_from_local(str(src), str(tmp_path / "c.txt")) == str(tmp_path / "c.txt")
    assert copyfile_to_local(str(src), str(tmp_path / "d.txt")) == str(tmp_path / "d.txt")
    assert (tmp_path / "d.txt").read_text() == "data"
    assert copytree(str(tmp_path / "dir"), str(tmp_path / "t1")) == str(tmp_path / "t1")
    assert (tmp_path / "t1" / "a.txt").read_text() == "data"
    with pytest.raises(FileExistsError):
        copytree(tmp_path / "dir", tmp_path / "t1")  # onto an existing folder, as MMEngine
    assert copytree_from_local(str(tmp_path / "dir"), str(tmp_path / "t2")) == str(tmp_path / "t2")
    assert copytree_to_local(str(tmp_path / "dir"), str(tmp_path / "t3")) == str(tmp_path / "t3")
    assert copy_if_symlink_fails(src, tmp_path / "link") is True
    assert os.readlink(tmp_path / "link") == str(src)
    remove(tmp_path / "b.txt")
    assert not (tmp_path / "b.txt").exists()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        remove(tmp_path / "b.txt")
    with pytest.raises(IsADirectoryError):
        remove(tmp_path / "t1")
    rmtree(tmp_path / "t1")
    assert not (tmp_path / "t1").exists()
    with pytest.raises(FileNotFoundError):
        rmtree(tmp_path / "t1")
    with pytest.raises(ImportError, match="is a URL"):  # MMEngine: no petrel_client
        copyfile("s3://bucket/a.txt", tmp_path / "e.txt")


def test_to_local_copies_ask_the_source_backend(tmp_path: Path) -> None:
    # MMEngine asks dst's backend (the local disk), which cannot read a remote src
    class Remote(BaseStorageBackend):
        def get(self, filepath: object) -> bytes:
            return b"remote"

        def get_text(self, filepath: object, encoding: str = "utf-8") -> str:
            return "remote"

        def copyfile_to_local(self, src: str, dst: str) -> str:
            Path(dst).write_bytes(self.get(src))
            return dst

    register_backend("remote", Remote, prefixes="rem")
    dst = str(tmp_path / "local.bin")
    assert copyfile_to_local("rem://b/x.bin", dst) == dst
    assert Path(dst).read_bytes() == b"remote"
