"""Atomic, durable checkpoint writes, and cleanup of the temp files a killed write leaves.

A save writes ``.{name}.tmp-{pid}-{random}`` in the target's own folder,
flushes and ``fsync``s it, ``os.replace``s it over the target and ``fsync``s
the folder: a crash at any moment leaves the previous file or the new one at
the target, never a mix; at worst an orphaned temp file, which
:func:`cleanup_orphaned_temp_files` removes. The new file keeps the
permission bits of the one it replaces (a ``chmod 600`` stays private).
``torch.save`` streams straight into the temp file (no in-memory copy of the
archive), and it is made to write the per-record CRC-32s that
:mod:`.integrity` verifies at load time.
A durable save starts the disk write while it serialises (:mod:`.writeback`),
so its final fsync waits for little more than the last chunk. A checkpoint
for a storage backend the user registered (:mod:`.storage`) is serialised
the same way into memory and handed to the backend's ``put``.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import pickle
import re
import secrets
import stat
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, overload

import torch

from runner_core.checkpoint.errors import CheckpointError, os_error_in, write_error
from runner_core.checkpoint.interrupts import hold_ctrl_c
from runner_core.checkpoint.plain_data import find_unsafe
from runner_core.checkpoint.storage import RemotePath, put, save_target
from runner_core.checkpoint.writeback import with_early_writeback
from runner_core.fs_limits import DEFAULT_NAME_MAX, name_limits
from runner_core.pids import pid_alive

__all__ = [
    "TEMP_FILE_PATTERN",
    "TEST_GATE_ENV",
    "cleanup_orphaned_temp_files",
    "save_checkpoint",
    "write_bytes_atomic",
]

#: Names of temp files our saves create: ``.{target name}.tmp-{pid}-{8 hex}``.
TEMP_FILE_PATTERN = re.compile(r"^\.(?P<target>.+)\.tmp-(?P<pid>\d+)-(?P<token>[0-9a-f]{8})$")


def _name_max(folder: Path) -> int:
    """The longest file name (bytes) ``folder``'s file system takes: 255 on most, 143 on
    eCryptfs; 255 where it cannot be asked."""
    limit = name_limits(folder)[0]
    return limit if limit >= 64 else DEFAULT_NAME_MAX  # -1 or 0: no limit reported


def _temp_path_for(path: Path) -> Path:
    """``.{name}.tmp-{pid}-{8 hex}`` beside ``path``; a name too long to take that suffix
    (a legal 240-byte checkpoint name) is cut short and followed by a hash of itself."""
    suffix = f".tmp-{os.getpid()}-{secrets.token_hex(4)}"
    name = path.name
    name_max = _name_max(path.parent)
    if 1 + len(os.fsencode(name)) + len(suffix) > name_max:
        digest = hashlib.sha1(os.fsencode(name)).hexdigest()[:8]
        budget = max(name_max - 1 - len(suffix) - 1 - len(digest), 1)
        head = name
        while len(os.fsencode(head)) > budget:  # by characters: never half a UTF-8 one
            head = head[:-1]
        name = f"{head}~{digest}"
    return path.with_name(f".{name}{suffix}")


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable: fsync the folder that holds the entry (POSIX only)."""
    if os.name == "nt":  # Windows cannot open a folder for fsync; NTFS journals renames
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:  # some filesystems (e.g. certain network mounts) refuse
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


#: Windows refuses to replace a file another process has open (an indexer, an antivirus
#: scan, a reader of the pointer); such holds are short, so the replace is tried again
_REPLACE_TRIES = 5 if os.name == "nt" else 1
_REPLACE_WAIT_S = 0.05


def _replace(tmp: Path, path: Path) -> None:
    """``os.replace(tmp, path)``; on Windows tried again while ``path`` is held open."""
    for attempt in range(_REPLACE_TRIES):
        try:
            os.replace(tmp, path)
            return
        except PermissionError:
            if attempt + 1 == _REPLACE_TRIES:
                raise
            time.sleep(_REPLACE_WAIT_S * (attempt + 1))


def _keep_mode(fd: int, path: Path) -> None:
    """Give the temp file the permission bits of the file it replaces, as a write in place
    (MMEngine's) keeps them: a checkpoint the user made private (``chmod 600``) must not
    come back readable by all (umask's 0644). Best effort: where the platform or file
    system refuses (Windows has no fchmod), the umask's mode stays."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode) & 0o777  # not setuid/setgid/sticky
    except OSError:  # no file there yet (or unreadable): the umask's mode
        return
    with contextlib.suppress(OSError, AttributeError, NotImplementedError):
        os.fchmod(fd, mode)


@contextlib.contextmanager
def _atomic_target(path: Path, *, fsync: bool) -> Iterator[Any]:
    """Yield a binary file that replaces ``path`` atomically when the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_path_for(path)
    # os.open + O_EXCL (not mkstemp): a new file gets umask-based permissions, never clobber.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        _keep_mode(fd, path)
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        _replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if fsync:
        _fsync_dir(path.parent)


def write_bytes_atomic(data: bytes, path: str | Path, *, fsync: bool = True) -> Path:
    """Write ``data`` to ``path`` so readers see the old or the new content, never a part."""
    path = Path(path)
    try:
        with hold_ctrl_c(), _atomic_target(path, fsync=fsync) as f:
            f.write(data)
    except OSError as exc:  # name the file (the pointer, a published copy): a bare errno does not
        raise write_error(
            f"Could not write {str(path)!r}",
            exc,
            str(path),
            "Nothing was written over the previous file at that path (if any).",
        ) from exc
    return path


@contextlib.contextmanager
def _crc32_on() -> Iterator[None]:
    """Make sure torch.save writes the per-record CRC-32s that verification relies on."""
    try:
        from torch.utils.serialization import config
    except ImportError:  # older torch always writes them
        yield
        return
    previous = config.save.compute_crc32
    config.save.compute_crc32 = True
    try:
        yield
    finally:
        config.save.compute_crc32 = previous


class _GuardedFile:
    """The temp file as ``torch.save`` sees it: a write can be given up between records."""

    def __init__(self, f: Any, should_stop: Callable[[], bool] | None, path: Path | str) -> None:
        self._f, self._should_stop, self._path = f, should_stop, path
        self._gate = os.environ.get(TEST_GATE_ENV)

    def write(self, data: Any) -> int:
        if self._should_stop is not None and self._should_stop():
            from runner_core.checkpoint.background import CheckpointAbandoned

            raise CheckpointAbandoned(f"The save of {str(self._path)!r} was abandoned.")
        written = self._f.write(data)
        if self._gate:
            _wait_at_test_gate(self._gate, self._should_stop)
        return int(written)

    def flush(self) -> None:
        self._f.flush()


#: Test-only: a path; each write then stops, with ``<path>.waiting`` created, until it exists.
TEST_GATE_ENV = "RUNNER_TEST_CHECKPOINT_WRITE_GATE"


def _wait_at_test_gate(gate: str, should_stop: Callable[[], bool] | None) -> None:
    """Hold a write half-done until the test opens the gate (or abandons the save)."""
    import time

    Path(gate + ".waiting").touch()
    while not os.path.exists(gate) and not (should_stop is not None and should_stop()):
        time.sleep(0.005)


@overload
def save_checkpoint(
    checkpoint: dict,
    filename: Path,
    file_client_args: None = None,
    backend_args: None = None,
    *,
    fsync: bool = True,
    should_stop: Callable[[], bool] | None = None,
    warn_unsafe: bool = True,
) -> Path: ...


@overload
def save_checkpoint(
    checkpoint: dict,
    filename: str | Path,
    file_client_args: Mapping[str, Any] | None = None,
    backend_args: Mapping[str, Any] | None = None,
    *,
    fsync: bool = True,
    should_stop: Callable[[], bool] | None = None,
    warn_unsafe: bool = True,
) -> Path | RemotePath: ...


def save_checkpoint(
    checkpoint: dict,
    filename: str | Path,
    file_client_args: Mapping[str, Any] | None = None,
    backend_args: Mapping[str, Any] | None = None,
    *,
    fsync: bool = True,
    should_stop: Callable[[], bool] | None = None,
    warn_unsafe: bool = True,
) -> Path | RemotePath:
    """Save ``checkpoint`` to ``filename`` atomically and durably; return the path.

    MMEngine's arguments in MMEngine's order. A crash at any moment leaves
    either the previous file or the complete new one at ``filename``.
    ``fsync=False`` skips the two fsyncs (faster, still atomic against a
    crashing process, but not against a power cut). Parent folders are
    created. Objects that ``weights_only`` loading would refuse produce a
    warning naming them (convert them with :func:`to_safe`).
    ``should_stop`` is polled between records: when it returns True the save
    is abandoned (temp file removed, ``CheckpointAbandoned`` raised).
    ``warn_unsafe=False`` leaves that warning to the caller (the Runner logs
    it once per run, see :func:`unsafe_message`).

    A URL (``'s3://bucket/x.pth'``), or ``backend_args`` /
    ``file_client_args`` naming a storage backend, saves through a backend
    you registered with ``runner_core.fileio.register_backend``: the same
    bytes are serialised in memory and handed to its ``put`` (see
    :mod:`.storage`), and a :class:`~.storage.RemotePath` is returned.
    """
    path = save_target(filename, file_client_args, backend_args)
    if not isinstance(checkpoint, dict):
        raise CheckpointError(
            f"save_checkpoint({str(path)!r}) expects a dict (e.g. {{'meta': ..., 'state_dict': "
            f"...}}), got {type(checkpoint).__name__}. Wrap the object in a dict."
        )
    unsafe = find_unsafe(checkpoint) if warn_unsafe else []
    if unsafe:
        warnings.warn(unsafe_message(path, unsafe), stacklevel=2)
    with hold_ctrl_c() as ctrl_c:  # a Ctrl-C mid-save stops the run after the file is whole
        try:
            if isinstance(path, RemotePath):
                _serialize_and_put(checkpoint, path, should_stop)
                return path
            with _crc32_on(), _atomic_target(path, fsync=fsync) as f:
                # durable: the disk write starts chunk by chunk, and the fsync waits little
                out = with_early_writeback(f) if fsync else f
                plain = should_stop is None and TEST_GATE_ENV not in os.environ
                target: Any = out if plain else _GuardedFile(out, should_stop, path)
                torch.save(checkpoint, target)
        except CheckpointError:
            raise
        except (OSError, pickle.PicklingError, TypeError, AttributeError, RuntimeError) as exc:
            if should_stop is not None and should_stop():  # raised inside torch's writer
                from runner_core.checkpoint.background import CheckpointAbandoned

                raise CheckpointAbandoned(f"The save of {str(path)!r} was abandoned.") from exc
            if ctrl_c.pressed > 1:  # a second Ctrl-C gave the save up: an interrupt, not a failure
                raise KeyboardInterrupt from exc
            os_error = os_error_in(exc)
            if os_error is not None:  # the OS's reason, not torch's archive writer's
                raise write_error(
                    f"Could not save checkpoint {str(path)!r}",
                    os_error,
                    str(path),
                    "Nothing was written over the previous file at that path (if any).",
                ) from exc
            raise CheckpointError(
                f"Could not save checkpoint {str(path)!r}: {type(exc).__name__}: {exc}. "
                "Nothing was written over the previous file at that path (if any). Check free "
                "disk space and permissions, and that every value in the checkpoint can be "
                "pickled."
            ) from exc
    return path


def unsafe_message(path: Path | RemotePath | str, unsafe: list[str]) -> str:
    """The warning for a checkpoint that holds ``unsafe`` (:func:`find_unsafe`'s list)."""
    shown = "; ".join(unsafe[:5]) + (f"; and {len(unsafe) - 5} more" if len(unsafe) > 5 else "")
    return (
        f"Checkpoint {str(path)!r} holds objects that the safe loader (weights_only=True) "
        f"will refuse: {shown}. Loading it will need allow_pickle=True / --unsafe-load. "
        "Convert them before saving, e.g. with runner_core.checkpoint.to_safe(), or store "
        "their state_dict() instead of the object."
    )


def _serialize_and_put(
    checkpoint: dict, target: RemotePath, should_stop: Callable[[], bool] | None
) -> None:
    """Serialise once into memory, as a local save writes it (CRC records), then ``put``."""
    buffer = io.BytesIO()
    plain = should_stop is None and TEST_GATE_ENV not in os.environ
    out: Any = buffer if plain else _GuardedFile(buffer, should_stop, target)
    with _crc32_on():
        torch.save(checkpoint, out)
    data = buffer.getvalue()
    del buffer, out  # one copy of the archive in memory while it is sent, not two
    put(data, target)


def cleanup_orphaned_temp_files(folder: str | Path) -> list[Path]:
    """Delete temp files a killed save left in ``folder``; return the deleted paths.

    Only names matching :data:`TEMP_FILE_PATTERN` are touched. A file whose
    pid belongs to another live process on this machine is kept (that save may
    still be running); our own pid's files are removed, so do not call this
    while another thread of this process is saving into the same folder. On a
    folder shared by several machines, pids of other hosts cannot be checked:
    run the cleanup from the one process that saves there (rank 0).
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed: list[Path] = []
    me = os.getpid()
    for entry in sorted(folder.iterdir()):
        match = TEMP_FILE_PATTERN.match(entry.name)
        if match is None or not entry.is_file() or entry.is_symlink():
            continue
        pid = int(match["pid"])
        if pid != me and pid_alive(pid):
            continue
        with contextlib.suppress(FileNotFoundError):
            entry.unlink()
            removed.append(entry)
    return removed
