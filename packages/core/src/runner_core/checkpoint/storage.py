"""Checkpoints on a storage backend you registered (``register_backend``): where, and the bytes.

MMEngine writes a checkpoint through ``file_backend.put(bytes, path)`` when
its location is a URL (``CheckpointHook(out_dir='s3://bucket/exp')``) or its
``backend_args`` name a backend, and reads it back through the backend. Here
the same works for a backend registered with
:func:`runner_core.fileio.register_backend` (by prefix, or named in
``backend_args``); runner never reaches the network by itself (the HTTP,
Petrel and Memcached backends are names only), so a URL that no registered
backend serves is refused, as before.

A save serialises once, into memory, with the per-record CRC-32s of a local
save, then hands the bytes to the backend's ``put``; whether a reader can
ever see half an object is the storage's affair (object stores such as S3
replace an object whole). The ``last_checkpoint`` pointer stays in the local
work dir and moves only after ``put`` returned, so a failing ``put`` leaves
the previous checkpoint and the pointer as they were.

A :class:`RemotePath` is the location (a ``str``) carrying the backend that
serves it, so it travels the code paths of local saves (pointer, background
writer, pruning) unchanged. No torch import here.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runner_core.checkpoint.errors import (
    CheckpointError,
    CheckpointNotFoundError,
    CheckpointPermissionError,
    CheckpointWriteError,
    os_error_in,
)
from runner_core.checkpoint.remote import remote_checkpoint_message, url_scheme

__all__ = [
    "RemotePath",
    "fetch",
    "keep_for_load",
    "load_source",
    "put",
    "remote_isfile",
    "remove",
    "save_target",
    "save_target_in",
    "storage_backend",
]

#: ``backend`` values of ``backend_args`` / ``file_client_args`` that mean the local disk
_LOCAL_NAMES = (None, "local", "disk")


class RemotePath(str):
    """A checkpoint location a storage backend serves: the text is the location
    (``'s3://bucket/exp/epoch_1.pth'``), :attr:`backend` reads and writes it."""

    backend: Any

    def __new__(cls, location: str, backend: Any) -> RemotePath:
        self = super().__new__(cls, location)
        self.backend = backend
        return self

    @property
    def name(self) -> str:
        """The last part of the location (``epoch_1.pth``), as ``Path.name``."""
        return self.rstrip("/").rsplit("/", 1)[-1]

    @property
    def backend_name(self) -> str:
        """The backend's class name, for messages (a ``FileClient``'s own backend)."""
        return type(getattr(self.backend, "client", self.backend)).__name__

    def joinpath(self, *names: str) -> RemotePath:
        """``names`` below this location, joined as the backend joins paths."""
        return RemotePath(_join(self.backend, str(self), *names), self.backend)

    def __copy__(self) -> RemotePath:  # immutable; the backend (a client) is not copied
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> RemotePath:
        return self


def _join(backend: Any, base: str, *names: str) -> str:
    join = getattr(backend, "join_path", None)
    if join is not None:
        try:
            return str(join(base, *names))
        except NotImplementedError:
            pass
    return "/".join([base.rstrip("/"), *names])


def _is_local(backend: Any) -> bool:
    from runner_core.fileio import LocalBackend

    return isinstance(getattr(backend, "client", backend), LocalBackend)


def storage_backend(
    location: str | os.PathLike[str],
    file_client_args: Mapping[str, Any] | None = None,
    backend_args: Mapping[str, Any] | None = None,
    call: str = "save_checkpoint",
) -> Any | None:
    """The storage backend a checkpoint at ``location`` is written with; None: the local disk.

    As MMEngine chooses: ``file_client_args`` through ``FileClient``,
    ``backend_args['backend']`` by name, else the URL's prefix. Arguments
    naming a backend that cannot serve (not registered, or a name only) raise
    :class:`~runner_core.errors.ConfigError`; a URL no backend serves,
    :class:`CheckpointError`. ``call`` names the caller in messages.
    """
    from runner_core.errors import ConfigError

    if file_client_args is not None and backend_args is not None:  # MMEngine: ValueError
        raise ConfigError(
            f'{call}: "file_client_args" and "backend_args" cannot be set at the same time '
            f"(for {os.fspath(location)!r}); keep backend_args (file_client_args is MMEngine's "
            "deprecated spelling)."
        )
    kind, args = (
        ("file_client_args", file_client_args)
        if file_client_args is not None
        else ("backend_args", backend_args)
    )
    text = os.fspath(location)
    scheme = url_scheme(text)
    given = dict(args) if args else {}
    named = given.get("backend")
    by_client = kind == "file_client_args" and "prefix" in given
    if named in _LOCAL_NAMES and not by_client:
        if scheme is None:
            return None
        if named is not None:
            raise CheckpointError(
                f"{call}: {text!r} is a URL ({scheme}://) but {kind}={given!r} name the "
                "local disk. Drop the backend entry to use the storage backend registered for "
                f"{scheme}://, or save to a local path."
            )
    from runner_core.fileio import FileClient, FileIOError, get_file_backend

    try:
        if kind == "file_client_args" and (named not in _LOCAL_NAMES or by_client):
            backend = FileClient.infer_client(given, text)
        else:
            backend = get_file_backend(text, backend_args=given, enable_singleton=True)
    except FileIOError as exc:
        if named is None and not by_client:  # a URL, by its prefix
            raise CheckpointError(
                f"{call}: {text!r} is a URL ({scheme}://) that no storage backend you "
                "registered serves, and runner never uploads or downloads by itself "
                "(HTTPBackend and PetrelBackend are names only). Save to a local path, or "
                "register a backend for your storage: runner_core.fileio.register_backend("
                f"'my{scheme}', YourBackend, prefixes={scheme!r})."
            ) from exc
        raise _config_error(exc)(
            f"{call}: {kind}={given!r} cannot save {text!r}: checkpoints are written to the "
            "local disk only, or through a storage backend you registered with "
            f"runner_core.fileio.register_backend. {exc}"
        ) from exc
    return None if _is_local(backend) and scheme is None else backend


def _config_error(exc: BaseException) -> type[Exception]:
    """The ConfigError that is also what MMEngine raises for these arguments: an ImportError
    for a backend without its client (petrel), a KeyError for an unknown name, else a
    ValueError (a TypeError for constructor arguments the backend does not take)."""
    from runner_core.errors import ConfigError, ConfigImportError, ConfigKeyError, ConfigTypeError

    for base, kind in ((ImportError, ConfigImportError), (KeyError, ConfigKeyError)):
        if isinstance(exc, base):
            return kind
    return ConfigTypeError if isinstance(exc, TypeError) else ConfigError


def save_target(
    filename: str | os.PathLike[str],
    file_client_args: Mapping[str, Any] | None = None,
    backend_args: Mapping[str, Any] | None = None,
    call: str = "save_checkpoint",
) -> Path | RemotePath:
    """Where ``save_checkpoint`` writes ``filename``: a local ``Path`` or a :class:`RemotePath`."""
    if isinstance(filename, RemotePath):
        return filename
    backend = storage_backend(filename, file_client_args, backend_args, call)
    return Path(filename) if backend is None else RemotePath(os.fspath(filename), backend)


def save_target_in(
    out_dir: str | os.PathLike[str],
    filename: str,
    file_client_args: Mapping[str, Any] | None = None,
    backend_args: Mapping[str, Any] | None = None,
    call: str = "save_checkpoint",
) -> Path | RemotePath:
    """``filename`` in ``out_dir``, joined as the storage joins paths (MMEngine's ``join_path``)."""
    if isinstance(out_dir, RemotePath):
        return out_dir.joinpath(filename)
    backend = storage_backend(out_dir, file_client_args, backend_args, call)
    if backend is None:
        return Path(out_dir) / filename
    return RemotePath(_join(backend, os.fspath(out_dir), filename), backend)


def load_source(location: str | os.PathLike[str], what: str = "Checkpoint") -> RemotePath:
    """The registered backend that serves the URL ``location``.

    Raises :class:`CheckpointNotFoundError` (a ``FileNotFoundError``) with the
    usual advice when no working backend serves it: ``http(s)://``,
    ``torchvision://``, ``open-mmlab://`` and ``s3://`` are never downloaded by
    runner itself.
    """
    if isinstance(location, RemotePath):
        return location
    from runner_core.fileio import FileIOError, get_file_backend

    text = os.fspath(location)
    try:
        backend = get_file_backend(text, enable_singleton=True)
    except FileIOError as exc:
        raise CheckpointNotFoundError(remote_checkpoint_message(text, what)) from exc
    return RemotePath(text, backend)


def put(data: bytes, target: RemotePath) -> None:
    """Write ``data`` at ``target`` through its backend; a failure names the file and backend."""
    method = getattr(target.backend, "put", None)
    where = f"checkpoint {str(target)!r} through storage backend {target.backend_name}"
    if method is None:
        raise CheckpointError(
            f"Cannot save {where}: the backend has no put() method. Add put(obj, filepath) to "
            "the backend class, or save to a local path."
        )
    try:
        method(data, str(target))
    except Exception as exc:  # the backend's own errors (network, credentials, quota)
        then = "The previous checkpoint and the 'last_checkpoint' pointer were left as they were."
        message = f"Could not save {where}: {type(exc).__name__}: {exc}. {then}"
        os_error = os_error_in(exc)
        if os_error is not None:  # still an OSError, with its errno
            kind = (
                CheckpointPermissionError
                if isinstance(os_error, PermissionError)
                else CheckpointWriteError
            )
            raise kind(message, os_error.errno, os_error.strerror, str(target)) from exc
        raise CheckpointError(
            f"{message} Check the storage (credentials, bucket, quota) and the backend's put()."
        ) from exc


# The bytes find_latest_checkpoint fetched and verified, for the load that follows (one
# file at most): a resume from remote storage downloads the checkpoint once, not twice.
_kept: dict[str, bytes] = {}
_kept_lock = threading.Lock()


def keep_for_load(target: RemotePath, data: bytes) -> None:
    """Keep ``data`` (just fetched and verified) for the next :func:`fetch` of ``target``."""
    with _kept_lock:
        _kept.clear()
        _kept[str(target)] = data


def fetch(target: RemotePath) -> bytes:
    """The checkpoint's bytes through its backend's ``get`` (or those :func:`keep_for_load` kept).

    A missing object raises :class:`CheckpointNotFoundError`, any other
    failure :class:`CheckpointError`; both name the file and the backend.
    """
    with _kept_lock:
        kept = _kept.pop(str(target), None)
        _kept.clear()
    if kept is not None:
        return kept
    where = f"storage backend {target.backend_name}"
    try:
        data = target.backend.get(str(target))
    except Exception as exc:  # the backend's own errors
        if isinstance(exc, FileNotFoundError) or remote_isfile(target) is False:
            raise CheckpointNotFoundError(
                f"Checkpoint {str(target)!r} does not exist on {where} ({type(exc).__name__}: "
                f"{exc}). Check the path (and the run's out_dir)."
            ) from exc
        raise CheckpointError(
            f"Could not read checkpoint {str(target)!r} through {where}: "
            f"{type(exc).__name__}: {exc}. Check the storage (credentials, network) and the "
            "backend's get()."
        ) from exc
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise CheckpointError(
            f"{where}.get({str(target)!r}) returned {type(data).__name__}, not bytes: a "
            "backend's get() returns the file's content as bytes."
        )
    return data


def remote_isfile(target: RemotePath) -> bool | None:
    """Whether the backend holds ``target`` (its ``isfile``, else ``exists``); None: cannot tell."""
    for name in ("isfile", "exists"):
        method = getattr(target.backend, name, None)
        if method is None:
            continue
        try:
            return bool(method(str(target)))
        except NotImplementedError:
            continue
    return None


def remove(target: RemotePath) -> bool:
    """Delete ``target`` through its backend; False when the backend says it is not there.

    The backend's errors propagate (the caller logs them: an old file that
    cannot go is no reason to stop training).
    """
    if remote_isfile(target) is False:
        return False
    method = getattr(target.backend, "remove", None)
    if method is None:
        raise CheckpointError(
            f"storage backend {target.backend_name} has no remove() method, so "
            f"{str(target)!r} cannot be deleted (max_keep_ckpts, a replaced best checkpoint). "
            "Add remove(filepath) to the backend class."
        )
    method(str(target))
    return True
