"""Checkpoint files: atomic save, integrity check, safe load, temp-file cleanup.

Saving never corrupts what is already on disk
    :func:`save_checkpoint` writes to a temporary file in the target's own
    folder (``.{name}.tmp-{pid}-{random}``), flushes and ``fsync``s it,
    ``os.replace``s it over the target and ``fsync``s the folder. A crash at any
    moment leaves either the previous file or the new one at ``path``, never a
    mix; at worst an orphaned temp file stays behind, which
    :func:`cleanup_orphaned_temp_files` removes. Nothing is buffered in memory:
    ``torch.save`` streams straight into the temp file (MMEngine serialises
    into a ``BytesIO`` first, doubling peak RAM).

Content hash: the zip archive's own CRC-32s
    ``torch.save`` writes a zip archive and already computes a CRC-32 of every
    record (``data.pkl`` and one record per tensor storage) into the zip
    headers, but ``torch.load`` never checks them, so a flipped byte in a
    tensor loads silently. We verify those CRCs at load time
    (:func:`verify_checkpoint`) instead of adding a hash of our own, because:

    * it costs nothing at save time (a second hash, even CRC-32 at ~2.3 GB/s
      or SHA-256 at ~1.3 GB/s measured here, would roughly double the CPU
      work of ``torch.save`` and break the "within 1.2x of bare torch.save"
      budget);
    * the hash lives inside the file, so it cannot get separated from it the
      way a ``.sha256`` sidecar can, and the file stays a standard zip that
      any tool (``python -m zipfile -t``, ``unzip -t``) can test;
    * it also covers checkpoints written by plain ``torch.save`` elsewhere.

    CRC-32 per record catches every burst error up to 32 bits and random
    corruption with probability 1 - 2**-32: enough to catch disk and copy
    corruption; it is not meant to resist tampering (``weights_only`` loading
    is the safety layer against malicious files). ``save_checkpoint`` forces
    ``torch.utils.serialization.config.save.compute_crc32`` on while it
    writes. Verifying reads the whole file once (from the page cache in the
    usual case) at about 2 GB/s. Truncation is caught independently: the zip
    directory is written last, so a partial file has none.

Loading is safe by default
    :func:`load_checkpoint` uses ``torch.load(weights_only=True)``: tensors
    and plain Python data (dict, OrderedDict, list, tuple, set, str, int,
    float, bool, None, torch.Size/dtype/device) load, anything that needs full
    unpickling is refused with an explanation, because unpickling can run
    arbitrary code. ``allow_pickle=True`` (CLI ``--unsafe-load``) opts in.
    Before saving, convert numpy arrays and numpy scalars (e.g. RNG states)
    with :func:`to_safe`; :func:`find_unsafe` lists what would be refused,
    and ``save_checkpoint`` warns about it.
"""

from __future__ import annotations

import contextlib
import errno
import mmap
import os
import pickle
import re
import secrets
import struct
import warnings
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import torch

from runner_core.checkpoint.errors import CheckpointError, CheckpointNotFoundError
from runner_core.checkpoint.interrupts import hold_ctrl_c
from runner_core.errors import did_you_mean

__all__ = [
    "TEMP_FILE_PATTERN",
    "cleanup_orphaned_temp_files",
    "find_unsafe",
    "load_checkpoint",
    "save_checkpoint",
    "to_safe",
    "verify_checkpoint",
    "write_bytes_atomic",
]

#: Names of temp files our saves create: ``.{target name}.tmp-{pid}-{8 hex}``.
TEMP_FILE_PATTERN = re.compile(r"^\.(?P<target>.+)\.tmp-(?P<pid>\d+)-(?P<token>[0-9a-f]{8})$")

#: File suffixes listed when a checkpoint path is wrong.
CHECKPOINT_SUFFIXES = (".pth", ".pt", ".ckpt", ".bin", ".safetensors")

MapLocation = str | torch.device | Callable[..., Any] | dict[str, str] | None


# ---------------------------------------------------------------------------
# atomic writes


def _temp_path_for(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")


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


@contextlib.contextmanager
def _atomic_target(path: Path, *, fsync: bool) -> Iterator[Any]:
    """Yield a binary file that replaces ``path`` atomically when the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_path_for(path)
    # os.open + O_EXCL (not mkstemp): normal umask-based permissions, never clobber.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if fsync:
        _fsync_dir(path.parent)


def write_bytes_atomic(data: bytes, path: str | Path, *, fsync: bool = True) -> Path:
    """Write ``data`` to ``path`` so readers see the old or the new content, never a part."""
    path = Path(path)
    with hold_ctrl_c(), _atomic_target(path, fsync=fsync) as f:
        f.write(data)
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


def save_checkpoint(checkpoint: dict, path: str | Path, *, fsync: bool = True) -> Path:
    """Save ``checkpoint`` to ``path`` atomically and durably; return the path.

    A crash at any moment leaves either the previous file or the complete new
    one at ``path``. ``fsync=False`` skips the two fsyncs (faster, still
    atomic against a crashing process, but not against a power cut). Parent
    folders are created. Objects that ``weights_only`` loading would refuse
    produce a warning naming them (convert them with :func:`to_safe`).
    """
    path = Path(path)
    if not isinstance(checkpoint, dict):
        raise CheckpointError(
            f"save_checkpoint({str(path)!r}) expects a dict (e.g. {{'meta': ..., 'state_dict': "
            f"...}}), got {type(checkpoint).__name__}. Wrap the object in a dict."
        )
    unsafe = find_unsafe(checkpoint)
    if unsafe:
        shown = "; ".join(unsafe[:5]) + (f"; and {len(unsafe) - 5} more" if len(unsafe) > 5 else "")
        warnings.warn(
            f"Checkpoint {str(path)!r} holds objects that the safe loader (weights_only=True) "
            f"will refuse: {shown}. Loading it will need allow_pickle=True / --unsafe-load. "
            "Convert them before saving, e.g. with runner_core.checkpoint.to_safe(), or store "
            "their state_dict() instead of the object.",
            stacklevel=2,
        )
    with hold_ctrl_c() as ctrl_c:  # a Ctrl-C mid-save stops the run after the file is whole
        try:
            with _crc32_on(), _atomic_target(path, fsync=fsync) as f:
                torch.save(checkpoint, f)
        except CheckpointError:
            raise
        except (OSError, pickle.PicklingError, TypeError, AttributeError, RuntimeError) as exc:
            if ctrl_c.pressed > 1:  # a second Ctrl-C gave the save up: an interrupt, not a failure
                raise KeyboardInterrupt from exc
            raise CheckpointError(
                f"Could not save checkpoint {str(path)!r}: {type(exc).__name__}: {exc}. "
                "Nothing was written over the previous file at that path (if any). Check free "
                "disk space and permissions, and that every value in the checkpoint can be "
                "pickled."
            ) from exc
    return path


# ---------------------------------------------------------------------------
# plain-data conversion


_SAFE_LEAVES: tuple[type, ...] = (
    str,
    bytes,
    int,
    float,
    bool,
    complex,
    type(None),
    torch.Size,
    torch.dtype,
    torch.device,
    torch.layout,
    torch.memory_format,
)


def find_unsafe(obj: Any, _where: str = "checkpoint") -> list[str]:
    """List ``"checkpoint['a'][0]: numpy.ndarray"`` for every value weights_only would refuse.

    A conservative check on exact types: dict/OrderedDict/list/tuple/set
    containers, tensors and the leaves in ``_SAFE_LEAVES``. Classes allowed
    through ``torch.serialization.add_safe_globals`` are accepted.
    """
    allowed = _extra_safe_types()
    found: list[str] = []
    stack: list[tuple[str, Any]] = [(_where, obj)]
    while stack:
        where, value = stack.pop()
        kind = type(value)
        if isinstance(value, torch.Tensor) or kind in _SAFE_LEAVES or kind in allowed:
            continue
        if kind in (dict, OrderedDict):
            for key, item in value.items():
                if type(key) not in _SAFE_LEAVES:
                    found.append(f"{where} key {key!r}: {_type_name(key)}")
                stack.append((f"{where}[{key!r}]", item))
        elif kind in (list, tuple, set, frozenset):
            items = sorted(value, key=repr) if kind in (set, frozenset) else value
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(items))
        else:
            found.append(f"{where}: {_type_name(value)}")
    return sorted(found)


def _extra_safe_types() -> set[type]:
    get = getattr(torch.serialization, "get_safe_globals", None)
    if get is None:
        return set()
    return {g for g in get() if isinstance(g, type)}


def _type_name(value: Any) -> str:
    kind = type(value)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def to_safe(obj: Any) -> Any:
    """Return a copy of ``obj`` that loads under ``weights_only=True``.

    Numpy arrays become tensors (``torch.from_numpy``; call ``.numpy()`` to
    get them back, e.g. for ``np.random.set_state``), numpy scalars become
    Python numbers, ``pathlib`` paths become ``str``, namedtuples become
    tuples and dict subclasses (other than OrderedDict) become dicts.
    Containers are rebuilt recursively; anything else is returned unchanged
    (:func:`find_unsafe` tells you what is left).
    """
    if isinstance(obj, torch.Tensor) or type(obj) in _SAFE_LEAVES:
        return obj
    if isinstance(obj, OrderedDict):
        return OrderedDict((to_safe(k), to_safe(v)) for k, v in obj.items())
    if isinstance(obj, dict):
        return {to_safe(k): to_safe(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_safe(v) for v in obj]
    if isinstance(obj, tuple):  # namedtuples become plain tuples
        return tuple(to_safe(v) for v in obj)
    if isinstance(obj, set | frozenset):
        return {to_safe(v) for v in obj}
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    module = type(obj).__module__ or ""
    if module.split(".")[0] == "numpy":
        import numpy as np

        if isinstance(obj, np.ndarray):
            if obj.dtype == object:
                return to_safe(obj.tolist())
            return torch.from_numpy(np.ascontiguousarray(obj).copy())
        if isinstance(obj, np.generic):
            return obj.item()
    if isinstance(obj, bool | int | float | str):  # subclasses, e.g. IntEnum
        for base in (bool, int, float, str):
            if isinstance(obj, base):
                return base(obj)
    return obj


# ---------------------------------------------------------------------------
# inspecting and verifying files


def _missing_file_error(path: Path) -> CheckpointError:  # a CheckpointNotFoundError
    parent = path.parent
    hint = ""
    if parent.is_dir():
        names = sorted(p.name for p in parent.iterdir() if not TEMP_FILE_PATTERN.match(p.name))
        hint = did_you_mean(path.name, names)
        ckpts = [n for n in names if n.endswith(CHECKPOINT_SUFFIXES)]
        if ckpts:
            listed = ", ".join(ckpts[-8:])
            hint += f" Checkpoints in {str(parent)!r}: {listed}."
        else:
            hint += f" The folder {str(parent)!r} holds no checkpoint files."
        if (parent / "last_checkpoint").is_file():
            hint += (
                " It has a 'last_checkpoint' pointer: find_latest_checkpoint(work_dir) / "
                "resume=True picks the newest complete one."
            )
    else:
        hint = f" The folder {str(parent)!r} does not exist either; check the path or work_dir."
    return CheckpointNotFoundError(f"Checkpoint file {str(path)!r} does not exist.{hint}")


def _sniff(path: Path) -> str:
    """Return 'zip' or 'legacy' for a torch checkpoint, raise CheckpointError otherwise."""
    if not path.exists():
        raise _missing_file_error(path)
    if path.is_dir():
        raise CheckpointError(
            f"Checkpoint path {str(path)!r} is a folder, not a file. Pass a file such as "
            f"'{path}/epoch_1.pth', or use find_latest_checkpoint({str(path)!r}) to pick the "
            "newest complete checkpoint in it."
        )
    with open(path, "rb") as f:
        head = f.read(16)
    if not head:
        raise CheckpointError(
            f"Checkpoint {str(path)!r} is empty (0 bytes): the save that wrote it was interrupted "
            "or the disk was full. Use an earlier checkpoint (find_latest_checkpoint skips broken "
            "files)."
        )
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head[:1] == b"\x80":  # a pickle stream: torch's pre-1.6 format
        return "legacy"
    if len(head) >= 9 and head[8:9] == b"{":
        what = "a safetensors file; load it with safetensors.torch.load_file()"
    elif all(32 <= b < 127 or b in (9, 10, 13) for b in head):
        what = f"a text file starting with {head.decode('ascii', 'replace')!r}"
    else:
        what = f"a file starting with bytes {head[:8]!r}"
    raise CheckpointError(
        f"{str(path)!r} is not a torch checkpoint (expected a torch.save zip archive): it looks "
        f"like {what}. Check that the path names a .pth file written by torch.save."
    )


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise CheckpointError(
            f"Checkpoint {str(path)!r} is truncated or corrupt ({path.stat().st_size} bytes; "
            f"zip error: {exc}). The zip directory is written last, so the save that wrote this "
            "file was most likely interrupted (killed, crashed, disk full). Use an earlier "
            "checkpoint; find_latest_checkpoint skips broken files."
        ) from exc
    names = archive.namelist()
    if not any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
        archive.close()
        shown = ", ".join(names[:5]) or "nothing"
        raise CheckpointError(
            f"{str(path)!r} is a zip archive but not a torch checkpoint: it has no 'data.pkl' "
            f"record (it holds {shown}). Check that the path names a file written by torch.save."
        )
    return archive


def verify_checkpoint(path: str | Path) -> int:
    """Check every record of a torch zip checkpoint against its stored CRC-32.

    Returns the number of records checked (0 for a legacy-format file or one
    saved with CRCs turned off, which cannot be checked). Raises
    :class:`CheckpointError` for a missing, truncated or corrupt file.
    """
    path = Path(path)
    if _sniff(path) != "zip":
        return 0
    with _open_zip(path) as archive, open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        infos = archive.infolist()
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            view = memoryview(mapped)
            try:

                def check(info: zipfile.ZipInfo) -> bool:
                    return _verify_record(path, archive, info, view, size)

                # zlib.crc32 releases the GIL: records (one per storage) verify in parallel.
                workers = min(4, os.cpu_count() or 1, len(infos))
                if workers > 1 and size > (16 << 20):
                    with ThreadPoolExecutor(workers, thread_name_prefix="ckpt-verify") as pool:
                        results = list(pool.map(check, infos))
                else:
                    results = [check(info) for info in infos]
            finally:
                view.release()
    return sum(results)


def _verify_record(
    path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, view: memoryview, size: int
) -> bool:
    if info.file_size and info.CRC == 0:
        return False  # written with compute_crc32=False: nothing to compare against
    if info.compress_type != zipfile.ZIP_STORED:  # not torch's layout; let zipfile check it
        try:
            with archive.open(info) as member:
                while member.read(1 << 24):
                    pass
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise _corrupt(path, info.filename, str(exc)) from exc
        return True
    start = info.header_offset
    header = bytes(view[start : start + 30])
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise _corrupt(path, info.filename, "its local zip header is damaged")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    begin = start + 30 + name_len + extra_len
    end = begin + info.compress_size
    if end > size:
        raise _corrupt(path, info.filename, "the file ends before this record does (truncated)")
    if zlib.crc32(view[begin:end]) != info.CRC:
        raise _corrupt(path, info.filename, "its bytes do not match the CRC-32 stored at save time")
    return True


def _corrupt(path: Path, record: str, why: str) -> CheckpointError:
    what = "tensor data" if "/data/" in record or record.startswith("data/") else "metadata"
    return CheckpointError(
        f"Checkpoint {str(path)!r} is corrupt: record {record!r} ({what}) failed verification: "
        f"{why}. The file was damaged after it was written (disk, copy or transfer error). Use "
        "another copy or an earlier checkpoint; load_checkpoint(..., verify=False) skips this "
        "check but would load the damaged values."
    )


# ---------------------------------------------------------------------------
# loading


_GLOBAL_RE = re.compile(r"GLOBAL ([\w.]+)")


def _check_map_location(map_location: MapLocation) -> None:
    if isinstance(map_location, str):
        try:
            torch.device(map_location)
        except RuntimeError as exc:
            close = did_you_mean(map_location, ["cpu", "cuda", "cuda:0", "mps", "meta", "xpu"])
            raise CheckpointError(
                f"map_location={map_location!r} is not a device.{close} Use 'cpu', a device "
                "string such as 'cuda:1', a torch.device, a dict or a callable "
                "(storage, location) -> storage."
            ) from exc
    elif map_location is not None and not (
        isinstance(map_location, torch.device | dict) or callable(map_location)
    ):
        raise CheckpointError(
            f"map_location={map_location!r} ({type(map_location).__name__}) is not supported. "
            "Use 'cpu', a device string, a torch.device, a dict or a callable."
        )


def _unsafe_error(path: Path, exc: Exception) -> CheckpointError:
    names = sorted(set(_GLOBAL_RE.findall(str(exc))))
    what = ", ".join(names) if names else "a Python object that is not plain data"
    allow = (
        f"torch.serialization.add_safe_globals([{names[0]}])"
        if names
        else ("torch.serialization.add_safe_globals([...])")
    )
    return CheckpointError(
        f"Refusing to load checkpoint {str(path)!r}: it contains {what}, which torch.load can "
        "only rebuild by fully unpickling the file, and unpickling can run any code the file's "
        "author put in it (delete files, steal credentials, install malware). By default only "
        "tensors and plain Python data (dict, list, tuple, str, int, float, bool, None) are "
        "loaded. If you trust where this file came from, opt in explicitly with "
        "load_checkpoint(..., allow_pickle=True) or the CLI flag --unsafe-load; to allow only "
        f"this class, call {allow} first. For your own checkpoints, store plain data instead "
        "(runner_core.checkpoint.to_safe converts numpy arrays and scalars)."
    )


def load_checkpoint(
    path: str | Path,
    *,
    map_location: MapLocation = "cpu",
    allow_pickle: bool = False,
    verify: bool = True,
) -> dict:
    """Load a checkpoint dict safely.

    ``map_location`` is ``'cpu'`` (default), a device string, a
    ``torch.device``, a dict or a callable, as for ``torch.load``.
    ``allow_pickle=False`` loads with ``weights_only=True`` and refuses files
    that need full unpickling; ``verify=True`` checks the per-record CRC-32s
    first (one extra read of the file). Every failure is a
    :class:`CheckpointError` naming the file and the problem.
    """
    path = Path(path)
    _check_map_location(map_location)
    kind = _sniff(path)
    if kind == "zip":
        if verify:
            verify_checkpoint(path)
        else:
            _open_zip(path).close()
    try:
        obj = torch.load(path, map_location=map_location, weights_only=not allow_pickle)
    except pickle.UnpicklingError as exc:
        if not allow_pickle and "weights only" in str(exc).lower():
            raise _unsafe_error(path, exc) from exc
        raise CheckpointError(
            f"Checkpoint {str(path)!r} could not be unpickled: {exc}. The file is corrupt or was "
            "written by incompatible code."
        ) from exc
    except (RuntimeError, EOFError, OSError, ValueError, AttributeError, ImportError) as exc:
        raise CheckpointError(
            f"torch.load could not read checkpoint {str(path)!r} (map_location={map_location!r}): "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(obj, dict):
        raise CheckpointError(
            f"{str(path)!r} holds a {type(obj).__name__}, not a checkpoint dict. Runner "
            "checkpoints are dicts ({'meta': ..., 'state_dict': ...}); a bare state_dict is a "
            "dict too. Re-save it as torch.save({'state_dict': model.state_dict()}, path)."
        )
    return obj


# ---------------------------------------------------------------------------
# temp-file cleanup


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    return True


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
        if pid != me and _pid_alive(pid):
            continue
        with contextlib.suppress(FileNotFoundError):
            entry.unlink()
            removed.append(entry)
    return removed
