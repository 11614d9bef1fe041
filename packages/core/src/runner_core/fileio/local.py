"""MMEngine's file backend functions, for local files only.

MMEngine routes every path through a storage backend chosen by its prefix
(``s3://`` Petrel, ``http://`` HTTP, ...). Runner never reads from the network
at run time, so these functions take the same arguments (``backend_args``,
``file_client_args``) but refuse a URL or a non-local backend with an error
that names the path, instead of downloading. A local path behaves as with
MMEngine's ``LocalBackend``.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..checkpoint.remote import url_scheme
from ..utils.path import mkdir_or_exist
from .errors import FileBackendError, RemoteFileError

__all__ = [
    "check_local",
    "exists",
    "get",
    "get_local_path",
    "get_text",
    "isdir",
    "isfile",
    "join_path",
    "list_dir_or_file",
    "put",
    "put_text",
]

# backend names that mean the local disk (MMEngine's ``LocalBackend``; ``disk`` is
# FileClient's ``HardDiskBackend``)
LOCAL_BACKENDS = ("local", "disk")


def check_local(
    filepath: Any,
    backend_args: dict[str, Any] | None = None,
    file_client_args: dict[str, Any] | None = None,
) -> None:
    """Refuse a URL or a non-local backend for ``filepath``, saying why; pass a local path."""
    if backend_args is not None and file_client_args is not None:
        raise FileBackendError(
            f'"file_client_args" and "backend_args" cannot be set at the same time (reading '
            f"{os.fspath(filepath)!r}): keep backend_args."
        )
    args = backend_args if backend_args is not None else file_client_args
    backend = (args or {}).get("backend")
    if backend is not None and backend not in LOCAL_BACKENDS:
        raise FileBackendError(
            f"backend_args={args!r} for {os.fspath(filepath)!r} asks for the {backend!r} storage "
            "backend: runner reads local files only and never downloads at run time (MMEngine's "
            "fileio backends are not available). Copy the data to a local folder and drop "
            "backend_args (or use backend='local')."
        )
    scheme = url_scheme(filepath)
    if scheme is not None:
        raise RemoteFileError(
            f"{os.fspath(filepath)!r} is a URL ({scheme}://): runner reads local files only and "
            "never downloads at run time (MMEngine's fileio backends are not available). "
            "Download or mount the data once and pass its local path."
        )


def get(filepath: str | Path, backend_args: dict[str, Any] | None = None) -> bytes:
    """The bytes of a local file."""
    check_local(filepath, backend_args)
    with open(filepath, "rb") as f:
        return f.read()


def get_text(
    filepath: str | Path, encoding: str = "utf-8", backend_args: dict[str, Any] | None = None
) -> str:
    """The text of a local file, decoded with ``encoding``."""
    check_local(filepath, backend_args)
    with open(filepath, encoding=encoding) as f:
        return f.read()


def put(obj: bytes, filepath: str | Path, backend_args: dict[str, Any] | None = None) -> None:
    """Write ``obj`` to a local file, creating its folder if needed."""
    check_local(filepath, backend_args)
    mkdir_or_exist(os.path.dirname(filepath))
    with open(filepath, "wb") as f:
        f.write(obj)


def put_text(
    obj: str,
    filepath: str | Path,
    encoding: str = "utf-8",
    backend_args: dict[str, Any] | None = None,
) -> None:
    """Write the text ``obj`` to a local file, creating its folder if needed."""
    check_local(filepath, backend_args)
    mkdir_or_exist(os.path.dirname(filepath))
    with open(filepath, "w", encoding=encoding) as f:
        f.write(obj)


def exists(filepath: str | Path, backend_args: dict[str, Any] | None = None) -> bool:
    """Whether the local path exists."""
    check_local(filepath, backend_args)
    return os.path.exists(filepath)


def isdir(filepath: str | Path, backend_args: dict[str, Any] | None = None) -> bool:
    """Whether the local path is a folder."""
    check_local(filepath, backend_args)
    return os.path.isdir(filepath)


def isfile(filepath: str | Path, backend_args: dict[str, Any] | None = None) -> bool:
    """Whether the local path is a file."""
    check_local(filepath, backend_args)
    return os.path.isfile(filepath)


def join_path(
    filepath: str | Path, *filepaths: str | Path, backend_args: dict[str, Any] | None = None
) -> str:
    """``os.path.join`` of the parts, as a ``str`` (as MMEngine's local backend)."""
    check_local(filepath, backend_args)
    return os.path.join(filepath, *filepaths)


@contextmanager
def get_local_path(
    filepath: str | Path, backend_args: dict[str, Any] | None = None
) -> Generator[str, None, None]:
    """``with get_local_path(p) as path:`` yields ``str(p)``; the file is never removed.

    Code written for remote storage reads through this; with local files there
    is nothing to fetch.
    """
    check_local(filepath, backend_args)
    yield str(filepath)


def list_dir_or_file(
    dir_path: str | Path,
    list_dir: bool = True,
    list_file: bool = True,
    suffix: str | tuple[str, ...] | None = None,
    recursive: bool = False,
    backend_args: dict[str, Any] | None = None,
) -> Iterator[str]:
    """Yield the folders and/or files under ``dir_path``, relative to it.

    ``suffix`` filters files and needs ``list_dir=False``; hidden files are
    skipped. The order is the file system's.
    """
    check_local(dir_path, backend_args)
    if list_dir and suffix is not None:
        raise TypeError("`suffix` should be None when `list_dir` is True")
    if suffix is not None and not isinstance(suffix, (str, tuple)):
        raise TypeError(f"`suffix` must be a string or tuple of strings, got {suffix!r}")
    root = dir_path

    def scan(folder: str | Path) -> Iterator[str]:
        for entry in os.scandir(folder):
            if not entry.name.startswith(".") and entry.is_file():
                rel_path = os.path.relpath(entry.path, root)
                if list_file and (suffix is None or rel_path.endswith(suffix)):
                    yield rel_path
            elif os.path.isdir(entry.path):
                if list_dir:
                    yield os.path.relpath(entry.path, root)
                if recursive:
                    yield from scan(entry.path)

    return scan(dir_path)
