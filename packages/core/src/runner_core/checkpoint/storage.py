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

Reading back
    A URL is read through the backend registered for its prefix, built
    without arguments (MMEngine's loaders do the same), except below a folder
    given storage arguments in this process (``CheckpointHook(out_dir=
    's3://bucket/exp', backend_args=dict(backend='mys3', endpoint=...))``,
    remembered when the hook is built, before a resume reads
    ``last_checkpoint``; or a save there): the same arguments build the
    reading backend, so ``resume=True`` reads the checkpoint from the endpoint,
    with the credentials, it was written with (see :func:`remember_storage`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
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
    "is_remote",
    "kept_for_load",
    "load_source",
    "names_storage_backend",
    "put",
    "remember_config_storage",
    "remember_storage",
    "remote_isfile",
    "remove",
    "require_remote_file",
    "save_target",
    "save_target_in",
    "storage_args",
    "storage_backend",
    "storage_of",
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
        return type(storage_of(self.backend)).__name__

    def joinpath(self, *names: str) -> RemotePath:
        """``names`` below this location, joined as the backend joins paths."""
        return RemotePath(_join(self.backend, str(self), *names), self.backend)

    def relative_name(self, location: str | os.PathLike[str]) -> str | None:
        """``location``'s name below this folder (``'epoch_1.pth'``), or None when it lies
        outside it (another run's folder, another bucket)."""
        base, text = self.rstrip("/") + "/", os.fspath(location)
        return text[len(base) :] if text.startswith(base) and len(text) > len(base) else None

    def __copy__(self) -> RemotePath:  # immutable; the backend (a client) is not copied
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> RemotePath:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled with its backend when the backend pickles, else as the plain location
        (a backend holding a connection or a lock does not): a URL is then read through
        the backend the unpickling process registered for its prefix."""
        import pickle

        try:
            pickle.dumps(self.backend)
        except Exception:  # noqa: BLE001 - whatever the backend's objects raise
            return (str, (str(self),))
        return (RemotePath, (str(self), self.backend))


def _join(backend: Any, base: str, *names: str) -> str:
    join = getattr(backend, "join_path", None)
    if join is not None:
        try:
            return str(join(base, *names))
        except NotImplementedError:
            pass
    return "/".join([base.rstrip("/"), *names])


def storage_of(backend: Any) -> Any:
    """The storage backend doing the work: a ``FileClient``'s own backend, else ``backend``
    (whose ``client`` attribute, a boto3 client say, is its own business)."""
    from runner_core.fileio import FileClient

    return backend.client if isinstance(backend, FileClient) else backend


def _is_local(backend: Any) -> bool:
    from runner_core.fileio import LocalBackend

    return isinstance(storage_of(backend), LocalBackend)


def is_remote(location: Any) -> bool:
    """Whether ``location`` is read and written through a storage backend: a
    :class:`RemotePath`, or a URL (a backend registered for its prefix serves it, or none)."""
    return isinstance(location, RemotePath) or url_scheme(location) is not None


def storage_args(
    file_client_args: Mapping[str, Any] | None, backend_args: Mapping[str, Any] | None
) -> tuple[str, Mapping[str, Any] | None]:
    """``(kind, args)``: the storage arguments in force, ``file_client_args`` when given
    (MMEngine's older spelling, read by ``FileClient``), else ``backend_args``."""
    if file_client_args is not None:
        return "file_client_args", file_client_args
    return "backend_args", backend_args


def names_storage_backend(args: Mapping[str, Any] | None, kind: str = "backend_args") -> bool:
    """Whether ``backend_args`` / ``file_client_args`` (``kind``) choose a backend other
    than the local disk, as MMEngine reads them.

    ``backend`` names one in both (``'local'`` and ``'disk'`` are the local disk);
    ``prefix`` chooses one only in ``file_client_args`` (``FileClient(prefix='s3')``):
    in ``backend_args`` every key but ``backend`` goes to the backend's constructor,
    the backend itself being chosen by the location's prefix.
    """
    if not args:
        return False
    return args.get("backend") not in _LOCAL_NAMES or (
        kind == "file_client_args" and "prefix" in args
    )


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
    kind, args = storage_args(file_client_args, backend_args)
    text = os.fspath(location)
    scheme = url_scheme(text)
    given = dict(args) if args else {}
    named = given.get("backend")
    chosen = names_storage_backend(given, kind)
    if not chosen:
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
        if kind == "file_client_args" and chosen:
            backend = FileClient.infer_client(given, text)
        else:
            backend = get_file_backend(text, backend_args=given, enable_singleton=True)
    except FileIOError as exc:
        if not chosen:  # a URL, by its prefix
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


# The storage arguments of folders saved to in this process (``'s3://bucket/exp/'`` ->
# ``(kind, args)``, or None for "by its prefix"): a read below one builds its backend with
# those of the innermost such folder (see the module docstring).
_folders: dict[str, tuple[str, dict[str, Any]] | None] = {}
_folders_lock = threading.Lock()


def remember_storage(
    folder: str | os.PathLike[str],
    file_client_args: Mapping[str, Any] | None = None,
    backend_args: Mapping[str, Any] | None = None,
) -> None:
    """Read URLs below ``folder`` through a backend built with these storage arguments.

    Called by ``CheckpointHook`` for its ``out_dir`` and for each save target
    (:func:`save_target`, :func:`save_target_in`): ``last_checkpoint`` holds only
    the URL, so without this a resume would rebuild the backend from the prefix
    without the constructor arguments (endpoint, credentials) the checkpoint was
    written with. No arguments: URLs below ``folder`` are read by their prefix,
    even below a folder another run saved to with arguments.
    """
    text = os.fspath(folder)
    if url_scheme(text) is None:
        return
    key = text.rstrip("/") + "/"
    kind, args = storage_args(file_client_args, backend_args)
    with _folders_lock:
        _folders[key] = (kind, dict(args)) if args else None


def remember_config_storage(cfg: Any) -> None:
    """:func:`remember_storage` for the config's ``default_hooks.checkpoint`` out_dir URL.

    A checkpoint URL given by hand (``resume='s3://...'``, ``load_from``,
    ``runner-cli train --resume URL``) is checked before the hooks are built;
    read through the hook's storage arguments, it is found where the hook saved it.
    """
    hooks = cfg.get("default_hooks")
    hook = hooks.get("checkpoint") if isinstance(hooks, Mapping) else None
    if not isinstance(hook, Mapping) or not isinstance(hook.get("out_dir"), (str, os.PathLike)):
        return  # a built hook remembered its arguments itself
    file_client_args, backend_args = hook.get("file_client_args"), hook.get("backend_args")
    if all(args is None or isinstance(args, Mapping) for args in (file_client_args, backend_args)):
        if file_client_args is None or backend_args is None:  # both: the hook's own error
            remember_storage(hook["out_dir"], file_client_args, backend_args)


def _remembered(location: str) -> tuple[str, dict[str, Any]] | None:
    """The storage arguments of the innermost remembered folder holding ``location``
    (None: none, or that folder was saved to without arguments: read by prefix)."""
    with _folders_lock:
        found = [key for key in _folders if location.startswith(key)]
        return _folders[max(found, key=len)] if found else None


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
    if backend is None:
        return Path(filename)
    text = os.fspath(filename)
    remember_storage(text.rsplit("/", 1)[0], file_client_args, backend_args)
    return RemotePath(text, backend)


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
    remember_storage(out_dir, file_client_args, backend_args)
    return RemotePath(_join(backend, os.fspath(out_dir), filename), backend)


def load_source(
    location: str | os.PathLike[str], what: str = "Checkpoint", *, by_prefix: bool = False
) -> RemotePath:
    """The registered backend that serves the URL ``location``: built with the storage
    arguments of the save that wrote below its folder (:func:`remember_storage`), else
    (and always with ``by_prefix``, as another process reads it) the one registered for
    its prefix.

    Raises :class:`CheckpointNotFoundError` (a ``FileNotFoundError``) with the
    usual advice when no working backend serves it: ``http(s)://``,
    ``torchvision://``, ``open-mmlab://`` and ``s3://`` are never downloaded by
    runner itself.
    """
    if isinstance(location, RemotePath):
        return location
    from runner_core.fileio import FileIOError, get_file_backend

    text = os.fspath(location)
    saved_with = None if by_prefix else _remembered(text)
    if saved_with is not None:  # the backend (same arguments: same object) that saved there
        kind, args = saved_with
        fca, ba = (args, None) if kind == "file_client_args" else (None, args)
        backend = storage_backend(text, fca, ba, call=f"reading {text!r} ({kind}={args!r})")
        if backend is not None:
            return RemotePath(text, backend)
    try:
        backend = get_file_backend(text, enable_singleton=True)
    except FileIOError as exc:
        raise CheckpointNotFoundError(remote_checkpoint_message(text, what)) from exc
    return RemotePath(text, backend)


def require_remote_file(location: str | os.PathLike[str], what: str) -> RemotePath:
    """The URL ``location`` as a :class:`RemotePath`, once a registered backend serves it and
    does not say the file is missing (``what``: the option at fault, for messages).

    Raises :class:`CheckpointNotFoundError` otherwise; the config checks and the
    CLI turn it into their own error types.
    """
    target = load_source(location, what)
    if remote_isfile(target) is False:
        raise CheckpointNotFoundError(
            f"{what} {os.fspath(location)!r} does not exist on storage backend "
            f"{target.backend_name}. Check the URL (a checkpoint file, not its folder)."
        )
    return target


def put(data: bytes, target: RemotePath) -> None:
    """Write ``data`` at ``target`` through its backend; a failure names the file and backend."""
    method = getattr(target.backend, "put", None)
    where = f"checkpoint {str(target)!r} through storage backend {target.backend_name}"
    if method is None:
        raise CheckpointError(
            f"Cannot save {where}: the backend has no put() method. Add put(obj, filepath) to "
            "the backend class, or save to a local path."
        )
    _forget(target)  # a load after this put reads the new bytes, never ones kept before
    try:
        method(data, str(target))
    except Exception as exc:  # the backend's own errors (network, credentials, quota)
        then = "The previous checkpoint and the 'last_checkpoint' pointer were left as they were."
        message = (
            f"Could not save {where}: {type(exc).__name__}: {exc}. {then} Check the storage "
            "(credentials, network, bucket, quota) and the backend's put()."
        )
        os_error = os_error_in(exc)  # ConnectionError and TimeoutError are OSErrors too
        if os_error is not None:  # still an OSError, with its errno
            kind = (
                CheckpointPermissionError
                if isinstance(os_error, PermissionError)
                else CheckpointWriteError
            )
            raise kind(message, os_error.errno, os_error.strerror, str(target)) from exc
        raise CheckpointError(message) from exc


# The bytes a resume's search fetched and verified, for its load (one file at most, only
# inside kept_for_load): a resume from remote storage downloads the checkpoint once.
_kept: dict[str, bytes] = {}
_kept_lock = threading.Lock()


@contextmanager
def kept_for_load(location: str, data: bytes | None) -> Iterator[None]:
    """Inside the block, the first :func:`fetch` of ``location`` returns ``data`` (just
    fetched and verified) instead of downloading again; None keeps nothing.

    Only the resume path uses it, around the load right after its search: the
    bytes (possibly gigabytes) are never held past the block, and a :func:`put`
    of the same location drops them.
    """
    if data is None:
        yield
        return
    key = str(location)
    with _kept_lock:  # per location: another thread's resume keeps its own
        _kept[key] = data
    try:
        yield
    finally:
        with _kept_lock:
            if _kept.get(key) is data:
                del _kept[key]


def _forget(target: RemotePath) -> None:
    with _kept_lock:
        _kept.pop(str(target), None)


def fetch(target: RemotePath) -> bytes:
    """The checkpoint's bytes through its backend's ``get`` (or those :func:`kept_for_load`
    holds for it).

    A missing object raises :class:`CheckpointNotFoundError`, any other
    failure :class:`CheckpointError`; both name the file and the backend.
    """
    with _kept_lock:
        kept = _kept.pop(str(target), None)
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
        except (NotImplementedError, AttributeError):  # a FileClient whose client lacks it
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
