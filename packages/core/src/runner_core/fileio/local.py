"""MMEngine's file functions (``get``, ``put``, ``exists``, ``copyfile``, ...).

Each picks the storage backend for its path with
:func:`~runner_core.fileio.get_file_backend` (``backend_args``, else the
path's prefix) and calls the method of the same name, as MMEngine's do: a
plain path reads the local disk, a prefix a user registered
(``register_backend('mem', MemBackend, prefixes='mem')``) reads through that
backend. A URL no working backend serves raises
:class:`~runner_core.fileio.RemoteFileError`: runner never downloads at run
time.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import FileBackendError, UnsupportedOperationError
from .registry import get_file_backend

__all__ = [
    "backend_for",
    "check_backend_args",
    "copy_if_symlink_fails",
    "copyfile",
    "copyfile_from_local",
    "copyfile_to_local",
    "copytree",
    "copytree_from_local",
    "copytree_to_local",
    "exists",
    "generate_presigned_url",
    "get",
    "get_local_path",
    "get_text",
    "isdir",
    "isfile",
    "join_path",
    "list_dir_or_file",
    "put",
    "put_text",
    "remove",
    "rmtree",
]

# names under which file_client_args mean the local disk (FileClient's ``disk``)
_LOCAL_NAMES = (None, "local", "disk")


def _method(filepath: Any, name: str, backend_args: dict[str, Any] | None) -> Any:
    """The backend for ``filepath``'s method ``name``; a clear error if the backend lacks it."""
    backend = get_file_backend(filepath, backend_args=backend_args, enable_singleton=True)
    try:
        return getattr(backend, name)
    except AttributeError:
        raise UnsupportedOperationError(
            f"{type(backend).__name__}, the storage backend for {os.fspath(filepath)!r}, has no "
            f"{name}() method, so fileio.{name}() cannot be used with that path. Add {name}() to "
            "the backend class, or use a path another backend serves."
        ) from None


def check_backend_args(
    filepath: Any,
    backend_args: dict[str, Any] | None,
    file_client_args: dict[str, Any] | None,
    stacklevel: int = 3,
) -> None:
    """Refuse both argument sets at once; warn that ``file_client_args`` is deprecated (MMEngine)."""
    if file_client_args is None:
        return
    if backend_args is not None:
        raise FileBackendError(
            f'"file_client_args" and "backend_args" cannot be set at the same time (reading '
            f"{os.fspath(filepath)!r}): keep backend_args."
        )
    warnings.warn(
        '"file_client_args" will be deprecated in future. Please use "backend_args" instead',
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def backend_for(
    filepath: str | Path,
    backend_args: dict[str, Any] | None = None,
    file_client_args: dict[str, Any] | None = None,
) -> Any:
    """What ``load``/``dump``/``list_from_file`` read and write ``filepath`` with.

    ``file_client_args`` naming the local disk (``disk``, ``local``, none)
    choose as ``backend_args`` do; others go to ``FileClient.infer_client``, as
    in MMEngine, so a backend registered with ``FileClient.register_backend``
    serves them.
    """
    check_backend_args(filepath, backend_args, file_client_args, stacklevel=4)
    if file_client_args is None:
        return get_file_backend(filepath, backend_args=backend_args, enable_singleton=True)
    if file_client_args.get("backend") in _LOCAL_NAMES and "prefix" not in file_client_args:
        return get_file_backend(filepath, backend_args=file_client_args, enable_singleton=True)
    from .file_client import FileClient

    return FileClient.infer_client(file_client_args, filepath)


def get(filepath: str | Path, backend_args: dict[str, Any] | None = None) -> bytes:
    """The bytes stored at ``filepath``."""
    return _method(filepath, "get", backend_args)(filepath)


def get_text(
    filepath: str | Path, encoding: str = "utf-8", backend_args: dict[str, Any] | None = None
) -> str:
    """The text stored at ``filepath``, decoded with ``encoding``."""
    return _method(filepath, "get_text", backend_args)(filepath, encoding)


def put(obj: bytes, filepath: str | Path, backend_args: dict[str, Any] | None = None) -> None:
    """Write ``obj`` to ``filepath`` (a local folder is created if needed)."""
    _method(filepath, "put", backend_args)(obj, filepath)


def put_text(
    obj: str,
    filepath: str | Path,
    backend_args: dict[str, Any] | None = None,
    *,
    encoding: str = "utf-8",
) -> None:
    """Write the text ``obj`` to ``filepath`` (a local folder is created if needed).

    ``encoding`` (runner's addition, keyword-only after MMEngine's positional
    ``backend_args``) reaches the backend only when not utf-8, so a backend with
    MMEngine's ``put_text(obj, filepath)`` works.
    """
    method = _method(filepath, "put_text", backend_args)
    if encoding == "utf-8":
        method(obj, filepath)
    else:
        method(obj, filepath, encoding=encoding)


def exists(filepath: str | Path, backend_args: dict[str, Any] | None = None) -> bool:
    """Whether the path exists."""
    return _method(filepath, "exists", backend_args)(filepath)


def isdir(filepath: str | Path, backend_args: dict[str, Any] | None = None) -> bool:
    """Whether the path is a folder."""
    return _method(filepath, "isdir", backend_args)(filepath)


def isfile(filepath: str | Path, backend_args: dict[str, Any] | None = None) -> bool:
    """Whether the path is a file."""
    return _method(filepath, "isfile", backend_args)(filepath)


def join_path(
    filepath: str | Path, *filepaths: str | Path, backend_args: dict[str, Any] | None = None
) -> Any:
    """The parts joined by the path's backend: ``os.path.join``, a ``str``, for local paths."""
    return _method(filepath, "join_path", backend_args)(filepath, *filepaths)


@contextmanager
def get_local_path(
    filepath: str | Path, backend_args: dict[str, Any] | None = None
) -> Generator[Any, None, None]:
    """``with get_local_path(p) as path:``: a local file for ``p``; a local ``p`` as ``str(p)``.

    Code written for remote storage reads through this; a local file is
    yielded as is and never removed.
    """
    with _method(filepath, "get_local_path", backend_args)(str(filepath)) as local_path:
        yield local_path


def copyfile(
    src: str | Path, dst: str | Path, backend_args: dict[str, Any] | None = None
) -> str | Path:
    """Copy the file ``src`` to ``dst`` (into it if a folder); return the new file's path."""
    return _method(src, "copyfile", backend_args)(src, dst)


def copytree(
    src: str | Path, dst: str | Path, backend_args: dict[str, Any] | None = None
) -> str | Path:
    """Copy the folder ``src`` to ``dst``, which must not exist; return ``dst``."""
    return _method(src, "copytree", backend_args)(src, dst)


def copyfile_from_local(
    src: str | Path, dst: str | Path, backend_args: dict[str, Any] | None = None
) -> str | Path:
    """Copy the local file ``src`` to ``dst``'s storage; return the new file's path."""
    return _method(dst, "copyfile_from_local", backend_args)(src, dst)


def copytree_from_local(
    src: str | Path, dst: str | Path, backend_args: dict[str, Any] | None = None
) -> str | Path:
    """Copy the local folder ``src`` to ``dst``'s storage; return ``dst``."""
    return _method(dst, "copytree_from_local", backend_args)(src, dst)


def copyfile_to_local(
    src: str | Path, dst: str | Path, backend_args: dict[str, Any] | None = None
) -> str | Path:
    """Copy the file ``src`` from its storage to the local ``dst``; return the new file's path.

    ``src``'s backend does it (MMEngine asks ``dst``'s, the local disk's,
    which cannot read a remote ``src``).
    """
    return _method(src, "copyfile_to_local", backend_args)(src, dst)


def copytree_to_local(
    src: str | Path, dst: str | Path, backend_args: dict[str, Any] | None = None
) -> str | Path:
    """Copy the folder ``src`` from its storage to the local ``dst``; return ``dst``.

    ``src``'s backend does it, as for :func:`copyfile_to_local`.
    """
    return _method(src, "copytree_to_local", backend_args)(src, dst)


def remove(filepath: str | Path, backend_args: dict[str, Any] | None = None) -> None:
    """Delete a file (FileNotFoundError if missing, IsADirectoryError for a folder)."""
    _method(filepath, "remove", backend_args)(filepath)


def rmtree(dir_path: str | Path, backend_args: dict[str, Any] | None = None) -> None:
    """Delete a folder and everything under it."""
    _method(dir_path, "rmtree", backend_args)(dir_path)


def copy_if_symlink_fails(
    src: str | Path, dst: str | Path, backend_args: dict[str, Any] | None = None
) -> bool:
    """Symlink ``dst`` to ``src`` (True), or copy it where links fail (False)."""
    return _method(src, "copy_if_symlink_fails", backend_args)(src, dst)


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
    skipped. The order is the file system's. Bad arguments raise on the call.
    """
    method = _method(dir_path, "list_dir_or_file", backend_args)
    return method(dir_path, list_dir, list_file, suffix, recursive)


def generate_presigned_url(
    url: str,
    client_method: str = "get_object",
    expires_in: int = 3600,
    backend_args: dict[str, Any] | None = None,
) -> str:
    """A presigned URL for ``url`` from a backend that makes them (MMEngine: Petrel only).

    The local disk makes none: UnsupportedOperationError (NotImplementedError).
    """
    method = _method(url, "generate_presigned_url", backend_args)
    return method(url, client_method, expires_in)
