"""Is this file a whole, undamaged torch checkpoint? Checked against the zip's own CRC-32s.

``torch.save`` already stores a CRC-32 per record but ``torch.load`` never
checks it; :func:`verify_checkpoint` does, so a flipped byte is caught at
load time at no save-time cost. Why this and not a hash of our own is told in
docs/benchmarks.md ("Checkpoints"), with the figures.
"""

from __future__ import annotations

import io
import mmap
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

from runner_core.checkpoint.atomic import TEMP_FILE_PATTERN
from runner_core.checkpoint.errors import (
    CheckpointCorruptError,
    CheckpointEOFError,
    CheckpointError,
    CheckpointFormatError,
    CheckpointNotFoundError,
)
from runner_core.errors import did_you_mean

__all__ = [
    "CHECKPOINT_SUFFIXES",
    "open_zip",
    "sniff_head",
    "verify_checkpoint",
    "verify_checkpoint_bytes",
]

#: File suffixes listed when a checkpoint path is wrong.
CHECKPOINT_SUFFIXES = (".pth", ".pt", ".ckpt", ".bin", ".safetensors")


def _missing_file_error(path: Path) -> CheckpointError:  # a CheckpointNotFoundError
    parent = path.parent
    hint = ""
    if path.is_symlink():  # a dangling link: its target is what is missing
        target = os.readlink(path)
        return CheckpointNotFoundError(
            f"Checkpoint file {str(path)!r} is a link to {target!r}, which does not exist "
            f"(moved or deleted): pass the checkpoint's new path, or point the link at it."
        )
    if parent.is_dir():
        names = sorted(p.name for p in parent.iterdir() if not TEMP_FILE_PATTERN.match(p.name))
        hint = did_you_mean(path.name, [n for n in names if n != path.name])
        # numbers as numbers, so the newest (epoch_12 after epoch_9) are the ones shown
        ckpts = sorted((n for n in names if n.endswith(CHECKPOINT_SUFFIXES)), key=_natural)
        if ckpts:
            listed = ", ".join(ckpts[-8:])
            more = f" and {len(ckpts) - 8} more" if len(ckpts) > 8 else ""
            hint += f" Checkpoints in {str(parent)!r}: {listed}{more}."
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


_DIGITS = re.compile(r"(\d+)", re.ASCII)


def _natural(name: str) -> list[str | int]:
    """Sort key reading each run of digits as a number: epoch_2 before epoch_10."""
    return [int(part) if i % 2 else part for i, part in enumerate(_DIGITS.split(name))]


#: how torch's pre-1.6 (legacy) format starts: its magic number, pickled as a 10-byte long
_LEGACY_MAGIC = b"\x8a\x0a" + (0x1950A86A20F9469CFC6C).to_bytes(10, "little")


def _sniff(path: Path) -> str:
    """Return 'zip' or 'legacy' for a torch checkpoint, raise CheckpointError otherwise."""
    if not path.exists():
        raise _missing_file_error(path)
    from runner_core.checkpoint.find import is_pointer_file, list_checkpoints, read_pointer

    if path.is_dir():  # a FileNotFoundError too, as MMEngine's isfile check raises
        found = list_checkpoints(path)
        if not found:
            raise CheckpointNotFoundError(
                f"Checkpoint path {str(path)!r} is a folder, not a file, and holds no "
                "checkpoint files: pass the path of a checkpoint file."
            )
        raise CheckpointNotFoundError(
            f"Checkpoint path {str(path)!r} is a folder, not a file. Pass a file such as "
            f"{str(found[0])!r}, or use find_latest_checkpoint({str(path)!r}) to pick the "
            "newest complete checkpoint in it."
        )
    with open(path, "rb") as f:
        head = f.read(32)
    if is_pointer_file(path, head):
        target = read_pointer(path.parent)
        raise CheckpointError(
            f"{str(path)!r} is a work dir's pointer, not a checkpoint: it names "
            f"{str(target) if target is not None else 'nothing readable'!r}. Pass that file, "
            f"or use find_latest_checkpoint({str(path.parent)!r}) (resume=True does) to pick "
            "the newest complete checkpoint."
        )
    return sniff_head(head, str(path))


def sniff_head(head: bytes, name: str) -> str:
    """'zip' or 'legacy' for a checkpoint starting with ``head`` (its first 32 bytes) named
    ``name``; raise CheckpointError for anything else."""
    if not head:  # an EOFError too, as torch.load raises for an empty file
        raise CheckpointEOFError(
            f"Checkpoint {name!r} is empty (0 bytes): the save that wrote it was interrupted "
            "or the disk was full. Use an earlier checkpoint (find_latest_checkpoint skips broken "
            "files)."
        )
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    # a whole file that is the start of either format (of a zip, its first 3 bytes: a text
    # file "PK" is no checkpoint cut short)
    if head == b"PK\x03" or (b"\x80\x02" + _LEGACY_MAGIC).startswith(head):
        raise CheckpointEOFError(  # the start of a checkpoint, cut short
            f"Checkpoint {name!r} is only {len(head)} bytes, the start of a torch.save file cut "
            "short: the save that wrote it was interrupted or the disk was full. Use an "
            "earlier checkpoint (find_latest_checkpoint skips broken files)."
        )
    if head[:1] == b"\x80":  # a pickle stream: torch's pre-1.6 format, or a plain pickle
        if _LEGACY_MAGIC in head:
            return "legacy"
        raise CheckpointFormatError(
            f"{name!r} is a plain pickle file (written by pickle.dump, not torch.save), "
            "which torch.load cannot read, with or without allow_pickle. If you trust it, read "
            "it with pickle.load(open(path, 'rb')), or re-save its contents with "
            "torch.save(obj, path) to use it as a checkpoint."
        )
    if len(head) >= 9 and head[8:9] == b"{":
        what = "a safetensors file; load it with safetensors.torch.load_file()"
    elif all(32 <= b < 127 or b in (9, 10, 13) for b in head):
        # named by its kind only: the text may be a secret (a pointer aimed at ~/.env), and
        # this message goes to the run's log
        what = _text_kind(head)
    else:  # its bytes are not shown either: a text file with one odd byte lands here
        what = "a file of another format"
    raise CheckpointFormatError(
        f"{name!r} is not a torch checkpoint (expected a torch.save zip archive): it looks "
        f"like {what}. Check that the path names a .pth file written by torch.save."
    )


def _text_kind(head: bytes) -> str:
    """What a text file that was taken for a checkpoint is, as far as its start says."""
    text = head.lstrip().lower()
    if text.startswith(b"version https://git-lfs"):
        return "a Git LFS pointer, not the file itself (run `git lfs pull`)"
    if text.startswith((b"<!doctype html", b"<html")):
        return "an HTML page (a download that returned an error page?)"
    return "a text file"


def _open_zip(path: Path) -> zipfile.ZipFile:
    return open_zip(path, str(path), lambda: path.stat().st_size)


def open_zip(source: Path | IO[bytes], name: str, size: Callable[[], int]) -> zipfile.ZipFile:
    """The zip archive of the checkpoint ``name`` read from ``source`` (``size``: its length)."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise CheckpointCorruptError(
            f"Checkpoint {name!r} is truncated or corrupt ({size()} bytes; "
            f"zip error: {exc}). The zip directory is written last, so the save that wrote this "
            "file was most likely interrupted (killed, crashed, disk full). Use an earlier "
            "checkpoint; find_latest_checkpoint skips broken files."
        ) from exc
    names = archive.namelist()
    if not any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
        archive.close()
        shown = ", ".join(names[:5]) or "nothing"
        raise CheckpointError(
            f"{name!r} is a zip archive but not a torch checkpoint: it has no 'data.pkl' "
            f"record (it holds {shown}). Check that the path names a file written by torch.save."
        )
    return archive


def verify_checkpoint(path: str | Path) -> int:
    """Check every record of a torch zip checkpoint against its stored CRC-32.

    Returns the number of records checked (0 for a legacy-format file or one
    saved with CRCs turned off, which cannot be checked). Raises
    :class:`CheckpointError` for a missing, truncated or corrupt file.
    The file is mapped; where it cannot be (some FUSE and network
    filesystems), it is read in chunks instead.
    """
    path = Path(path)
    if _sniff(path) != "zip":
        return 0
    with _open_zip(path) as archive, open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        try:
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # no mmap on this filesystem: the same check, by reads
            return _verify_records(str(path), archive, _FileBytes(f), size, parallel=False)
        with mapped:
            view = memoryview(mapped)
            try:
                return _verify_records(str(path), archive, _ViewBytes(view), size)
            finally:
                view.release()


def verify_checkpoint_bytes(data: bytes, name: str) -> int:
    """:func:`verify_checkpoint` for a checkpoint held in memory (read from a storage
    backend); ``name`` is its location, for the messages."""
    if sniff_head(data[:32], name) != "zip":
        return 0
    with open_zip(io.BytesIO(data), name, lambda: len(data)) as archive:
        view = memoryview(data)
        try:
            return _verify_records(name, archive, _ViewBytes(view), len(data))
        finally:
            view.release()


class _ViewBytes:
    """The checkpoint's bytes in memory, or mapped: slices cost no copy."""

    def __init__(self, view: memoryview) -> None:
        self.view = view

    def read(self, start: int, size: int) -> bytes:
        return bytes(self.view[start : start + size])

    def crc32(self, begin: int, end: int) -> int:
        return zlib.crc32(self.view[begin:end])


class _FileBytes:
    """The checkpoint's bytes read from its open file, a chunk at a time (one reader)."""

    CHUNK = 16 << 20

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file

    def read(self, start: int, size: int) -> bytes:
        self.file.seek(start)
        return self.file.read(size)

    def crc32(self, begin: int, end: int) -> int:
        crc = 0
        self.file.seek(begin)
        while begin < end:
            chunk = self.file.read(min(self.CHUNK, end - begin))
            if not chunk:  # the file shrank while it was checked: no CRC-32 matches -1
                return -1
            crc = zlib.crc32(chunk, crc)
            begin += len(chunk)
        return crc


def _verify_records(
    path: str,
    archive: zipfile.ZipFile,
    data: _ViewBytes | _FileBytes,
    size: int,
    parallel: bool = True,
) -> int:
    infos = archive.infolist()

    def check(info: zipfile.ZipInfo) -> bool:
        return _verify_record(path, archive, info, data, size)

    # zlib.crc32 releases the GIL: records (one per storage) verify in parallel.
    workers = min(4, os.cpu_count() or 1, len(infos))
    if parallel and workers > 1 and size > (16 << 20):
        with ThreadPoolExecutor(workers, thread_name_prefix="ckpt-verify") as pool:
            results = list(pool.map(check, infos))
    else:
        results = [check(info) for info in infos]
    return sum(results)


def _verify_record(
    path: str,
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    data: _ViewBytes | _FileBytes,
    size: int,
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
    header = data.read(start, 30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise _corrupt(path, info.filename, "its local zip header is damaged")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    begin = start + 30 + name_len + extra_len
    end = begin + info.compress_size
    if end > size:
        raise _corrupt(path, info.filename, "the file ends before this record does (truncated)")
    if data.crc32(begin, end) != info.CRC:
        raise _corrupt(path, info.filename, "its bytes do not match the CRC-32 stored at save time")
    return True


def _corrupt(path: str, record: str, why: str) -> CheckpointError:
    what = "tensor data" if "/data/" in record or record.startswith("data/") else "metadata"
    return CheckpointError(
        f"Checkpoint {str(path)!r} is corrupt: record {record!r} ({what}) failed verification: "
        f"{why}. The file was damaged after it was written (disk, copy or transfer error). Use "
        "another copy or an earlier checkpoint; load_checkpoint(..., verify=False) skips this "
        "check but would load the damaged values."
    )
