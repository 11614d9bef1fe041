"""FileClient: MMEngine's deprecated client, on local files, with its own registry."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest

import runner_core.logging
from runner_core.fileio import (
    BackendNameError,
    BackendUnavailableError,
    BaseStorageBackend,
    FileClient,
    HardDiskBackend,
    RemoteBackendUnavailableError,
    RemoteFileError,
    get_file_backend,
    list_from_file,
    load,
    register_backend,
)


@pytest.fixture
def logged(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str]]:
    records: list[tuple[int, str]] = []
    monkeypatch.setattr(
        runner_core.logging,
        "print_log",
        lambda msg, logger=None, level=logging.INFO: records.append((level, msg)),
    )
    monkeypatch.setattr(FileClient, "_warned", False)
    return records


def test_disk_client_reads_and_writes(tmp_path: Path, logged: list[tuple[int, str]]) -> None:
    client = FileClient(backend="disk")
    assert isinstance(client.client, HardDiskBackend) and client.name == "HardDiskBackend"
    assert client.allow_symlink is True
    client.put(b"ab", tmp_path / "d" / "x.bin")
    assert client.get(tmp_path / "d" / "x.bin") == b"ab"
    client.put_text("t", str(tmp_path / "t.txt"))
    assert client.get_text(tmp_path / "t.txt") == "t"
    assert client.exists(tmp_path / "t.txt") and client.isfile(tmp_path / "t.txt")
    assert client.isdir(tmp_path / "d")
    assert client.join_path(str(tmp_path), "a") == os.path.join(str(tmp_path), "a")
    with client.get_local_path(tmp_path / "t.txt") as local:
        assert local == str(tmp_path / "t.txt")
    assert sorted(client.list_dir_or_file(tmp_path)) == ["d", "t.txt"]
    client.remove(tmp_path / "t.txt")
    assert not (tmp_path / "t.txt").exists()
    # deprecated, as in MMEngine: said once per process (old transforms build one per image)
    FileClient(backend="disk")
    FileClient()
    assert [m for _, m in logged if "FileClient" in m] == [
        '"FileClient" will be deprecated in future. Please use io functions in '
        "https://mmengine.readthedocs.io/en/latest/api/fileio.html#file-io"
    ]
    assert (
        logging.WARNING,
        '"HardDiskBackend" is the alias of "LocalBackend" and the former '
        "will be deprecated in future.",
    ) in logged


def test_same_arguments_same_client(logged: list[tuple[int, str]]) -> None:
    assert FileClient() is FileClient(backend="disk")
    assert FileClient.infer_client(None, "/data/a.jpg") is FileClient()
    assert FileClient.infer_client({"backend": "disk"}, "s3://x") is FileClient()


def test_parse_uri_prefix() -> None:
    assert FileClient.parse_uri_prefix("/data/a.jpg") is None
    assert FileClient.parse_uri_prefix(Path("data")) is None
    assert FileClient.parse_uri_prefix("s3://b/a.jpg") == "s3"
    assert FileClient.parse_uri_prefix("cluster:s3://b/a.jpg") == "s3"
    with pytest.raises(AssertionError, match="must be a str or a pathlib.Path"):
        FileClient.parse_uri_prefix(3)  # type: ignore[arg-type]


def test_remote_clients_are_refused(logged: list[tuple[int, str]]) -> None:
    with pytest.raises(BackendUnavailableError) as info:
        FileClient(backend="petrel")
    assert isinstance(info.value, ImportError)  # as MMEngine without petrel_client
    assert str(info.value).startswith(
        "FileClient(backend='petrel') asks for the 'petrel' storage backend (PetrelBackend): "
        "runner reads local files only"
    )
    with pytest.raises(BackendUnavailableError, match="prefix='https' asks for"):
        FileClient(prefix="https")
    with pytest.raises(
        BackendUnavailableError,
        match=r"file_client_args=\{'backend': 'http'\} for 'a.json' asks for the 'http'",
    ):
        FileClient.infer_client({"backend": "http"}, "a.json")
    # MMEngine builds PetrelBackend: ImportError without petrel_client
    with pytest.raises(ImportError, match=r"^'s3://bucket/a.jpg' is a URL \(s3://\)") as url:
        FileClient.infer_client(uri="s3://bucket/a.jpg")
    assert isinstance(url.value, RemoteBackendUnavailableError)
    with pytest.raises(BackendNameError) as unknown:
        FileClient(backend="local")
    assert isinstance(unknown.value, ValueError)  # as MMEngine
    assert str(unknown.value).startswith(
        "Backend local is not supported. Currently supported ones are ['disk', 'memcached', "
        "'lmdb', 'petrel', 'http']"
    )
    with pytest.raises(ValueError, match="prefix oss is not supported"):
        FileClient(prefix="oss")


class Memory(BaseStorageBackend):
    store: dict[str, bytes] = {}

    def get(self, filepath: Any) -> bytes:
        return self.store[str(filepath)]

    def get_text(self, filepath: Any, encoding: str = "utf-8") -> str:
        return self.store[str(filepath)].decode(encoding)


def test_register_backend_with_file_client(logged: list[tuple[int, str]]) -> None:
    Memory.store = {"oss://b/classes.txt": b"cat\ndog\n"}
    assert FileClient.register_backend("oss", Memory, prefixes="oss") is None
    client = FileClient.infer_client(uri="oss://b/classes.txt")
    assert isinstance(client.client, Memory) and client.get_text("oss://b/classes.txt") == (
        "cat\ndog\n"
    )
    # file_client_args go through FileClient, as in MMEngine
    with pytest.warns(DeprecationWarning):
        lines = list_from_file("oss://b/classes.txt", file_client_args={"prefix": "oss"})
    assert lines == ["cat", "dog"]
    # FileClient's registry is its own: get_file_backend does not know "oss"
    with pytest.raises(RemoteFileError, match="no storage backend is registered for oss://"):
        get_file_backend("oss://b/x")
    with pytest.raises(BackendNameError, match="'oss' is already registered") as info:
        FileClient.register_backend("oss", Memory)
    assert isinstance(info.value, KeyError)  # FileClient raises KeyError in MMEngine

    @FileClient.register_backend("disk", force=True)
    class MyDisk(Memory):
        pass

    assert isinstance(FileClient().client, MyDisk)  # the cached disk client was dropped

    @FileClient.register_backend("petrel", prefixes=["s3"])  # over a name-only backend
    class MyPetrel(Memory):
        pass

    Memory.store["s3://b/a.json"] = b'{"a": 1}'
    assert FileClient.infer_client(uri="s3://b/a.json").get("s3://b/a.json") == b'{"a": 1}'
    with pytest.warns(DeprecationWarning, match='"file_client_args" will be deprecated'):
        assert load("s3://b/a.json", file_client_args={"backend": "petrel"}) == {"a": 1}


def test_infer_client_for_an_unknown_prefix_raises_as_mmengine(
    logged: list[tuple[int, str]],
) -> None:
    # MMEngine: FileClient(prefix='oss') -> ValueError('prefix oss is not supported. ...')
    with pytest.raises(BackendNameError) as info:
        FileClient.infer_client(uri="oss://b/a.jpg")
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith(
        "prefix oss is not supported. Currently supported ones are ['s3', 'petrel', 'http', "
        "'https'] (FileClient.infer_client for 'oss://b/a.jpg'). Register a backend for it "
        "with FileClient.register_backend(name, YourBackend, prefixes='oss')."
    )


def test_infer_client_names_a_backend_registered_for_the_fileio_functions_only(
    logged: list[tuple[int, str]],
) -> None:
    """The docs' register_backend example, then an old transform (FileClient.infer_client):
    the error says FileClient has its own registry instead of blaming the local disk."""
    register_backend("mymem", Memory, prefixes="mymem")
    with pytest.raises(BackendNameError, match="prefix mymem is not supported") as info:
        FileClient.infer_client(None, "mymem://b/a.jpg")
    assert "Memory serves mymem:// for get_file_backend and the fileio functions" in str(info.value)
    assert "FileClient.register_backend('mymem', Memory, prefixes='mymem', force=True)" in str(
        info.value
    )
    register_backend("s3", Memory, prefixes="s3")
    with pytest.raises(ImportError) as refused:  # MMEngine: ImportError (no petrel_client)
        FileClient.infer_client(None, "s3://bucket/a.png")
    assert str(refused.value).startswith(
        "'s3://bucket/a.png' is a URL (s3://) that FileClient reads with PetrelBackend, which "
        "runner_core provides as a name only (runner never downloads at run time). Memory "
        "serves s3:// for get_file_backend"
    )
    assert "local disk" not in str(refused.value)
