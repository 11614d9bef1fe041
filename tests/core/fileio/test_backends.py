"""runner_core.fileio backends: LocalBackend on real files, the remote names, LmdbBackend."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from runner_core.fileio import (
    BackendUnavailableError,
    BaseStorageBackend,
    FileBackendError,
    HardDiskBackend,
    HTTPBackend,
    LmdbBackend,
    LocalBackend,
    MemcachedBackend,
    PetrelBackend,
    UnsupportedOperationError,
    get_file_backend,
)


def test_base_backend_needs_get_and_get_text() -> None:
    with pytest.raises(TypeError, match="abstract"):
        BaseStorageBackend()  # type: ignore[abstract]

    class Minimal(BaseStorageBackend):
        def get(self, filepath: object) -> bytes:
            return b"x"

        def get_text(self, filepath: object, encoding: str = "utf-8") -> str:
            return "x"

    backend = Minimal()
    assert backend.name == "Minimal" and backend.allow_symlink is False
    assert LocalBackend().name == "LocalBackend" and LocalBackend().allow_symlink is True


def test_local_backend_reads_writes_and_lists(tmp_path: Path) -> None:
    backend = LocalBackend()
    target = tmp_path / "sub" / "x.bin"
    backend.put(b"\x00\x01", target)  # the folder is created
    assert target.read_bytes() == b"\x00\x01" and backend.get(str(target)) == b"\x00\x01"
    backend.put_text("é", tmp_path / "t.txt", encoding="latin-1")
    assert (tmp_path / "t.txt").read_bytes() == b"\xe9"
    assert backend.get_text(tmp_path / "t.txt", encoding="latin-1") == "é"
    assert backend.exists(target) and backend.isfile(target) and not backend.isdir(target)
    assert backend.isdir(tmp_path) and not backend.exists(tmp_path / "nope")
    assert backend.join_path(tmp_path, "a", "b") == os.path.join(str(tmp_path), "a", "b")
    with backend.get_local_path(target) as local:
        assert local is target  # as given: nothing to fetch, nothing removed
    assert target.exists()
    assert sorted(backend.list_dir_or_file(tmp_path, recursive=True)) == [
        "sub",
        os.path.join("sub", "x.bin"),
        "t.txt",
    ]


def test_local_backend_copies_and_removes(tmp_path: Path) -> None:
    backend = LocalBackend()
    src = tmp_path / "a.txt"
    src.write_text("data")
    (tmp_path / "dir").mkdir()
    # into a folder: the base name is kept, and the new path returned
    assert backend.copyfile(src, tmp_path / "dir") == str(tmp_path / "dir" / "a.txt")
    assert backend.copyfile_from_local(str(src), str(tmp_path / "b.txt")) == str(tmp_path / "b.txt")
    assert backend.copyfile_to_local(str(src), str(tmp_path / "c.txt")) == str(tmp_path / "c.txt")
    with pytest.raises(shutil.SameFileError):
        backend.copyfile(src, src)
    assert backend.copytree(tmp_path / "dir", tmp_path / "dir2") == tmp_path / "dir2"
    assert (tmp_path / "dir2" / "a.txt").read_text() == "data"
    with pytest.raises(FileExistsError):
        backend.copytree(tmp_path / "dir", tmp_path / "dir2")
    assert backend.copytree_from_local(str(tmp_path / "dir"), str(tmp_path / "d3")) == str(
        tmp_path / "d3"
    )
    assert backend.copytree_to_local(str(tmp_path / "dir"), str(tmp_path / "d4")) == str(
        tmp_path / "d4"
    )
    with pytest.raises(IsADirectoryError, match="use rmtree"):
        backend.remove(tmp_path / "dir2")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        backend.remove(tmp_path / "nope.txt")
    backend.remove(tmp_path / "b.txt")
    assert not (tmp_path / "b.txt").exists()
    backend.rmtree(tmp_path / "dir2")
    assert not (tmp_path / "dir2").exists()


def test_copy_if_symlink_fails_links_or_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = LocalBackend()
    src = tmp_path / "a.txt"
    src.write_text("data")
    assert backend.copy_if_symlink_fails(src, tmp_path / "link") is True
    assert (tmp_path / "link").is_symlink()
    # the link exists already: symlink fails, the copy onto the same file raises as MMEngine
    with pytest.raises(shutil.SameFileError):
        backend.copy_if_symlink_fails(src, tmp_path / "link")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "f.txt").write_text("f")

    def refuse(*args: object, **kwargs: object) -> None:  # a file system without symlinks
        raise OSError("symlinks are not supported here")

    monkeypatch.setattr(os, "symlink", refuse)
    assert backend.copy_if_symlink_fails(src, tmp_path / "copy.txt") is False
    assert not (tmp_path / "copy.txt").is_symlink()
    assert (tmp_path / "copy.txt").read_text() == "data"
    assert backend.copy_if_symlink_fails(tmp_path / "folder", tmp_path / "folder2") is False
    assert (tmp_path / "folder2" / "f.txt").read_text() == "f"


def test_hard_disk_backend_is_a_local_backend() -> None:
    backend = HardDiskBackend()
    assert isinstance(backend, LocalBackend) and backend.name == "HardDiskBackend"


@pytest.mark.parametrize("cls", [HTTPBackend, PetrelBackend, MemcachedBackend])
def test_remote_backends_are_names_only(cls: type[BaseStorageBackend]) -> None:
    assert issubclass(cls, BaseStorageBackend)
    with pytest.raises(BackendUnavailableError) as info:
        cls(path_mapping=None)  # type: ignore[call-arg]
    # MMEngine raises ImportError when the client package is missing: fallbacks keep working
    assert isinstance(info.value, ImportError) and isinstance(info.value, FileBackendError)
    message = str(info.value)
    assert f"({cls.__name__}): runner reads local files only and never downloads" in message
    assert "pass its local path" in message and "register_backend(" in message


@pytest.mark.parametrize("name", ["petrel", "http", "memcached"])
def test_backend_args_naming_a_remote_backend_are_refused(name: str) -> None:
    with pytest.raises(BackendUnavailableError, match=f"asks for the '{name}' storage backend"):
        get_file_backend(backend_args={"backend": name})


def test_lmdb_backend_without_the_package_says_how_to_install() -> None:
    if importlib.util.find_spec("lmdb") is not None:
        pytest.skip("lmdb is installed")
    with pytest.raises(BackendUnavailableError) as info:
        LmdbBackend("data/train.lmdb")
    assert isinstance(info.value, ImportError)  # as MMEngine's
    assert str(info.value) == (
        "LmdbBackend (database 'data/train.lmdb') needs the lmdb package, which is not "
        'installed: please run "pip install lmdb" to enable LmdbBackend.'
    )
    with pytest.raises(BackendUnavailableError, match="pip install lmdb"):
        get_file_backend(backend_args={"backend": "lmdb", "db_path": "data/train.lmdb"})
    # a constructor argument missing from backend_args is named, with the signature
    with pytest.raises(TypeError, match=r"do not fit LmdbBackend\(db_path, readonly"):
        get_file_backend("key", backend_args={"backend": "lmdb"})


def test_lmdb_backend_reads_values(tmp_path: Path) -> None:
    lmdb = pytest.importorskip("lmdb")
    env = lmdb.open(str(tmp_path / "db"), map_size=1 << 20)
    with env.begin(write=True) as txn:
        txn.put(b"img/0001.jpg", b"\xff\xd8bytes")
    env.close()
    backend = get_file_backend(backend_args={"backend": "lmdb", "db_path": tmp_path / "db"})
    assert isinstance(backend, LmdbBackend) and backend.db_path == str(tmp_path / "db")
    assert backend.get("img/0001.jpg") == b"\xff\xd8bytes"
    assert backend.get(Path("missing")) is None
    with pytest.raises(UnsupportedOperationError, match="has no get_text") as info:
        backend.get_text("img/0001.jpg")
    assert isinstance(info.value, NotImplementedError)  # as MMEngine's
