"""register_backend / get_file_backend: a user's storage serves the fileio functions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.error import URLError

import pytest

import runner_core.fileio as fileio
from runner_core.fileio import (
    BackendNameError,
    BaseStorageBackend,
    FileArgumentError,
    FileClient,
    LocalBackend,
    MemcachedBackend,
    PetrelBackend,
    RemoteBackendUnavailableError,
    RemoteFileError,
    UnreachableURLError,
    UnregisteredPrefixError,
    UnsupportedOperationError,
    get_file_backend,
    register_backend,
)


class MemoryBackend(BaseStorageBackend):
    """An in-memory store (a stand-in for S3), keyed by the full URI."""

    store: dict[str, bytes] = {}

    def __init__(self, bucket: str = "default") -> None:
        self.bucket = bucket

    def get(self, filepath: str | Path) -> bytes:
        return self.store[str(filepath)]

    def get_text(self, filepath: str | Path, encoding: str = "utf-8") -> str:
        return self.store[str(filepath)].decode(encoding)

    def put(self, obj: bytes, filepath: str | Path) -> None:
        self.store[str(filepath)] = obj

    def put_text(self, obj: str, filepath: str | Path) -> None:  # MMEngine's signature
        self.store[str(filepath)] = obj.encode()

    def exists(self, filepath: str | Path) -> bool:
        return str(filepath) in self.store

    def join_path(self, filepath: str | Path, *filepaths: str | Path) -> str:
        return "/".join([str(filepath).rstrip("/"), *map(str, filepaths)])

    def list_dir_or_file(self, dir_path: str | Path, *args: Any, **kwargs: Any) -> Iterator[str]:
        root = str(dir_path).rstrip("/") + "/"
        return (k[len(root) :] for k in sorted(self.store) if k.startswith(root))


@pytest.fixture
def memory() -> dict[str, bytes]:
    MemoryBackend.store = {}
    register_backend("memory", MemoryBackend, prefixes=["mem", "memory"])
    return MemoryBackend.store


def test_a_registered_prefix_serves_the_fileio_functions(memory: dict[str, bytes]) -> None:
    fileio.put(b"\x89PNG", "mem://bucket/img/1.png")
    assert memory == {"mem://bucket/img/1.png": b"\x89PNG"}
    assert fileio.get("mem://bucket/img/1.png") == b"\x89PNG"
    assert fileio.exists("mem://bucket/img/1.png") and not fileio.exists("mem://bucket/x")
    fileio.put_text("héllo", "cluster:mem://bucket/a.txt")  # petrel's cluster form
    assert fileio.get_text("cluster:mem://bucket/a.txt") == "héllo"
    assert fileio.join_path("mem://bucket", "img", "1.png") == "mem://bucket/img/1.png"
    # load / dump / list_from_file go through it too
    fileio.dump({"a": [1, 2]}, "mem://bucket/ann.json")
    assert memory["mem://bucket/ann.json"] == b'{"a": [1, 2]}'
    assert fileio.load("mem://bucket/ann.json") == {"a": [1, 2]}
    fileio.dump({"k": 1}, "memory://b/x.pkl")
    assert fileio.load("memory://b/x.pkl") == {"k": 1}
    memory["mem://bucket/classes.txt"] = b"cat\ndog\n"
    assert fileio.list_from_file("mem://bucket/classes.txt") == ["cat", "dog"]


def test_a_dataset_reads_through_the_backend_of_its_data_root(memory: dict[str, bytes]) -> None:
    # what mmdet/mmseg datasets do with data_prefix and backend_args
    memory.update({"mem://coco/train/a.jpg": b"A", "mem://coco/train/b.jpg": b"B"})
    backend = get_file_backend("mem://coco/", backend_args=None)
    assert isinstance(backend, MemoryBackend)
    img_dir = backend.join_path("mem://coco", "train")
    names = list(backend.list_dir_or_file(img_dir, list_dir=False, suffix=".jpg"))
    assert names == ["a.jpg", "b.jpg"]
    assert [backend.get(backend.join_path(img_dir, n)) for n in names] == [b"A", b"B"]
    # mmcv transforms: fileio.get(path, backend_args=...)
    assert fileio.get("mem://coco/train/a.jpg", backend_args=None) == b"A"


def test_backend_args_choose_the_backend_by_name(memory: dict[str, bytes]) -> None:
    memory["train/a.jpg"] = b"A"  # a plain path, served by name
    assert fileio.get("train/a.jpg", backend_args={"backend": "memory"}) == b"A"
    backend = get_file_backend("x", backend_args={"backend": "memory", "bucket": "b1"})
    assert isinstance(backend, MemoryBackend) and backend.bucket == "b1"
    assert get_file_backend(backend_args={"backend": "memory"}).bucket == "default"
    # the name wins over the prefix, as in MMEngine
    assert isinstance(get_file_backend("s3://x", backend_args={"backend": "memory"}), MemoryBackend)
    with pytest.raises(
        RemoteFileError,
        match=r"\(backend_args name the local disk, not MemoryBackend which serves mem://\)",
    ):
        fileio.get("mem://b/x", backend_args={"backend": "local"})


def test_registering_as_a_decorator_and_over_the_remote_names(tmp_path: Path) -> None:
    @register_backend("s3", prefixes="s3")
    class S3Backend(MemoryBackend):
        pass

    assert S3Backend.__name__ == "S3Backend"  # the decorator returns the class
    # s3:// was PetrelBackend's, which runner has as a name only: it gives the prefix up
    fileio.put(b"x", "s3://bucket/k")
    assert fileio.get("s3://bucket/k") == b"x"
    assert isinstance(get_file_backend("s3://b"), S3Backend)
    register_backend("petrel", S3Backend)  # a user's own petrel replaces the name too
    assert isinstance(get_file_backend(backend_args={"backend": "petrel"}), S3Backend)


def test_a_taken_name_or_prefix_needs_force() -> None:
    with pytest.raises(BackendNameError) as info:
        register_backend("local", MemoryBackend)
    assert isinstance(info.value, ValueError)  # MMEngine's register_backend raises ValueError
    assert str(info.value) == (
        "name 'local' is already registered as a storage backend (registering MemoryBackend as "
        "'local'), add \"force=True\" if you want to override it."
    )
    register_backend("mine", MemoryBackend, prefixes="mem")
    with pytest.raises(BackendNameError, match="^prefix 'mem' is already registered"):
        register_backend("other", MemoryBackend, prefixes=["mem2", "mem"])
    with pytest.raises(BackendNameError, match="^name 'mine' and prefix 'mem' are already"):
        register_backend("mine", MemoryBackend, prefixes="mem")
    # nothing of the failed registration was kept
    assert "other" not in fileio.registry.backends
    assert "mem2" not in fileio.registry.prefix_to_backends
    register_backend("local", MemoryBackend, force=True, prefixes="")
    assert isinstance(get_file_backend("plain/path"), MemoryBackend)


def test_backend_args_that_are_not_a_dict_are_refused_with_the_dict_to_give() -> None:
    for call in (
        lambda: get_file_backend("/tmp", backend_args="local"),  # type: ignore[arg-type]
        lambda: fileio.get("/tmp/x.json", backend_args=["local"]),  # type: ignore[arg-type]
        lambda: fileio.load("/tmp/x.json", backend_args=["local"]),  # type: ignore[arg-type]
    ):
        with pytest.raises(TypeError, match=r"backend_args must be a dict like dict\(backend="):
            call()
    from runner_core.config import Config  # no Mapping, but what ** takes: as MMEngine

    assert type(get_file_backend("/tmp", backend_args=Config(dict(backend="local")))).__name__ == (
        "LocalBackend"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((3, MemoryBackend), "the backend name should be a string, but got int 3."),
        (("x", MemoryBackend()), "backend should be a class, but got MemoryBackend"),
        (("x", dict), "backend dict (registering 'x') is not a subclass of BaseStorageBackend"),
    ],
)
def test_registering_something_else_is_a_type_error(args: tuple[Any, Any], message: str) -> None:
    with pytest.raises(FileArgumentError) as info:
        register_backend(*args)
    assert isinstance(info.value, TypeError) and str(info.value).startswith(message)
    with pytest.raises(AssertionError, match="prefixes of backend 'x' must be a str"):
        register_backend("x", MemoryBackend, prefixes=3)  # type: ignore[arg-type]


def test_get_file_backend_for_local_paths(tmp_path: Path) -> None:
    assert isinstance(get_file_backend(tmp_path), LocalBackend)
    assert isinstance(get_file_backend("C:\\data"), LocalBackend)  # a drive is no prefix
    assert type(get_file_backend("d", backend_args={"backend": "disk"})) is LocalBackend
    a = get_file_backend("a", enable_singleton=True)
    assert get_file_backend("b/c", enable_singleton=True) is a
    assert get_file_backend("a") is not a
    register_backend("another", MemoryBackend)  # a registration resets the cache
    assert get_file_backend("a", enable_singleton=True) is not a
    with pytest.raises(ValueError, match='uri should not be None when "backend" does not exist'):
        get_file_backend()
    with pytest.raises(AssertionError, match="must be a str or a pathlib.Path, got int 3"):
        get_file_backend(3)  # type: ignore[arg-type]


def test_unknown_names_and_bad_arguments_are_named(tmp_path: Path) -> None:
    with pytest.raises(BackendNameError) as info:
        get_file_backend("a.json", backend_args={"backend": "s4"})
    assert isinstance(info.value, KeyError)  # as MMEngine's registry lookup
    assert str(info.value).startswith(
        "backend_args={'backend': 's4'} for 'a.json' names the storage backend 's4', which is "
        "not registered (registered: local, memcached, lmdb, petrel, http)."
    )
    with pytest.raises(TypeError, match=r"do not fit LocalBackend\(\): got an unexpected"):
        fileio.get(tmp_path, backend_args={"backend": "local", "bucket": "b"})


def test_urls_nothing_serves_are_refused_with_the_way_out() -> None:
    with pytest.raises(RemoteBackendUnavailableError) as info:
        fileio.get("s3://bucket/a.jpg")
    assert str(info.value) == (
        "'s3://bucket/a.jpg' is a URL (s3://): runner reads local files only and never "
        "downloads at run time (the s3:// prefix belongs to PetrelBackend, which runner_core "
        "provides as a name only). Download or mount the data once and pass its local path, or "
        "register a backend of your own for it: register_backend('mys3', YourBackend, "
        "prefixes='s3')."
    )
    with pytest.raises(RemoteFileError, match=r"no storage backend is registered for oss://"):
        fileio.exists("oss://bucket/a.jpg")
    with pytest.raises(KeyError) as unknown:  # MMEngine: KeyError('oss') from its prefix table
        get_file_backend("oss://bucket/a.jpg")
    assert isinstance(unknown.value, UnregisteredPrefixError)
    assert isinstance(unknown.value, FileNotFoundError)
    assert str(unknown.value).startswith("'oss://bucket/a.jpg' is a URL (oss://)")
    # the local disk named for a URL does not read it either
    with pytest.raises(RemoteFileError, match=r"'https://x/a.json' is a URL \(https://\)"):
        fileio.load("https://x/a.json", backend_args={"backend": "local"})
    assert issubclass(PetrelBackend, BaseStorageBackend)


def test_a_backend_without_the_method_says_so(memory: dict[str, bytes]) -> None:
    with pytest.raises(UnsupportedOperationError) as info:
        fileio.isdir("mem://bucket")
    assert isinstance(info.value, AttributeError)  # MMEngine fails on the missing attribute
    assert isinstance(info.value, NotImplementedError)
    assert str(info.value) == (
        "MemoryBackend, the storage backend for 'mem://bucket', has no isdir() method, so "
        "fileio.isdir() cannot be used with that path. Add isdir() to the backend class, or use "
        "a path another backend serves."
    )


def test_a_backend_missing_a_required_method_names_it_when_built() -> None:
    class Half(BaseStorageBackend):
        def get(self, filepath: Any) -> bytes:
            return b""

    register_backend("half", Half, prefixes="half")
    FileClient.register_backend("half", Half)
    for build in (
        lambda: get_file_backend("half://bucket/x"),
        lambda: FileClient(backend="half"),
    ):
        with pytest.raises(FileArgumentError) as info:
            build()
        assert isinstance(info.value, TypeError)  # Python's error for an abstract class
        assert "Storage backend Half" in str(info.value)
        assert "does not implement get_text" in str(info.value)


def test_generate_presigned_url_on_a_local_path(tmp_path: Path) -> None:
    with pytest.raises(NotImplementedError, match="LocalBackend, the storage backend for"):
        fileio.generate_presigned_url(str(tmp_path / "video.mp4"))

    class Signing(MemoryBackend):
        def generate_presigned_url(self, url: str, client_method: str, expires_in: int) -> str:
            return f"{url}?method={client_method}&expires={expires_in}"

    register_backend("signing", Signing, prefixes="sig")
    assert fileio.generate_presigned_url("sig://v.mp4", expires_in=60) == (
        "sig://v.mp4?method=get_object&expires=60"
    )


def test_a_prefix_registered_with_file_client_only_is_named() -> None:
    """FileClient keeps its own registry (as MMEngine): the fileio functions say where it went."""

    class OnlyForClient(BaseStorageBackend):
        def get(self, filepath: Any) -> bytes:
            return b""

        def get_text(self, filepath: Any, encoding: str = "utf-8") -> str:
            return ""

    FileClient.register_backend("clientonly", OnlyForClient, prefixes="clientonly")
    with pytest.raises(UnregisteredPrefixError) as info:
        fileio.get("clientonly://b/a.jpg")
    assert (
        "no storage backend is registered for clientonly://; OnlyForClient was registered with "
        "FileClient.register_backend, which only FileClient uses, as in MMEngine: register it "
        "with register_backend('clientonly', OnlyForClient, prefixes='clientonly') too"
    ) in str(info.value)


@pytest.mark.parametrize("url", ["s3://b/k.jpg", "petrel://b/k.jpg", "cluster:s3://b/k.jpg"])
def test_petrel_urls_raise_the_import_error_mmengine_raises(url: str) -> None:
    # MMEngine builds PetrelBackend for these and raises ImportError without petrel_client:
    # `except ImportError:` fallbacks written against it must catch ours
    for call in (
        lambda: get_file_backend(url),
        lambda: get_file_backend(url, enable_singleton=True),
        lambda: FileClient.infer_client(uri=url),
        lambda: fileio.get(url),
    ):
        with pytest.raises(ImportError) as info:
            call()
        assert isinstance(info.value, RemoteBackendUnavailableError)
        message = str(info.value)
        assert message.startswith(f"{url!r} is a URL (")
        assert "belongs to PetrelBackend" in message
        assert "Download or mount the data once and pass its local path" in message


def test_a_memcached_prefix_raises_an_import_error_too() -> None:
    register_backend("mc", MemcachedBackend, prefixes="mc")  # still a name only
    with pytest.raises(ImportError, match=r"^'mc://k' is a URL \(mc://\)") as info:
        get_file_backend("mc://k")
    assert isinstance(info.value, RemoteBackendUnavailableError)


@pytest.mark.parametrize("url", ["http://x/a.json", "https://x/a.json"])
def test_http_urls_raise_the_url_error_mmengine_raises_offline(url: str) -> None:
    # MMEngine's HTTPBackend builds and reads with urlopen: URLError where it cannot connect
    for call in (
        lambda: get_file_backend(url),
        lambda: FileClient.infer_client(uri=url),
        lambda: fileio.load(url),
    ):
        with pytest.raises(URLError) as info:
            call()
        error = info.value
        assert isinstance(error, UnreachableURLError) and isinstance(error, FileNotFoundError)
        assert str(error).startswith(f"{url!r} is a URL (")  # not "<urlopen error ...>"
        assert error.reason == str(error)
        assert not isinstance(error, ImportError)


def test_the_local_disk_named_for_a_url_finds_no_file_as_mmengine() -> None:
    # MMEngine builds LocalBackend, which finds no such file: FileNotFoundError, not ImportError
    with pytest.raises(RemoteFileError) as info:
        fileio.get("s3://b/k.jpg", backend_args={"backend": "local"})
    assert isinstance(info.value, FileNotFoundError)
    assert not isinstance(info.value, ImportError)
