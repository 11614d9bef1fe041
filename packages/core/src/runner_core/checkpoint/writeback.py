"""Start a file's disk write while it is still being written, so the final fsync waits little.

A durable save ends with ``fsync``, which waits for every dirty page of the
file. Left alone, the kernel starts writing a freshly written file only when
``fsync`` asks (or half a minute later), so a large save waits first for
``torch.save`` and then for the whole disk write. Asking for the write-out of
each chunk as soon as it is written overlaps the two: Linux's
``sync_file_range(..., SYNC_FILE_RANGE_WRITE)`` starts the write and returns
without waiting, as databases do for their own files. Durability still comes
from the ``fsync`` at the end; this only changes when the disk starts.

On other systems, or where the call fails (it is advisory), files are
written as before.
"""

from __future__ import annotations

import sys
from typing import Any, Protocol, cast

__all__ = ["CHUNK_BYTES", "WritebackFile", "with_early_writeback"]

#: Writes are passed on in slices of this size; each full slice's write-out is started.
CHUNK_BYTES = 16 << 20
_SYNC_FILE_RANGE_WRITE = 2  # from <fcntl.h>: start write-out of dirty pages, do not wait


class _RangeSync(Protocol):
    def __call__(self, fd: int, offset: int, nbytes: int, flags: int) -> int: ...


_looked_up = False
_sync_file_range: _RangeSync | None = None


def _range_sync() -> _RangeSync | None:
    """libc's ``sync_file_range`` through ctypes (Linux only), looked up once."""
    global _looked_up, _sync_file_range
    if not _looked_up:
        _looked_up = True
        _sync_file_range = _load_sync_file_range()
    return _sync_file_range


def _load_sync_file_range() -> _RangeSync | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        func = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):  # no such libc symbol (old or unusual libc)
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    func.restype = ctypes.c_int
    return cast(_RangeSync, func)


class WritebackFile:
    """A binary file for ``torch.save`` that starts the disk write of every full chunk."""

    def __init__(self, f: Any, sync: _RangeSync, chunk: int = CHUNK_BYTES) -> None:
        self._f, self._sync, self._chunk = f, sync, chunk
        self._fd = f.fileno()
        self._written = 0  # bytes passed to the file
        self._started = 0  # bytes whose write-out was requested

    def write(self, data: Any) -> int:
        view = memoryview(data)
        if view.ndim != 1 or view.itemsize != 1:
            view = view.cast("B")
        total, done, chunk = len(view), 0, self._chunk
        while done < total:
            step = min(chunk - (self._written - self._started), total - done)
            self._f.write(view[done : done + step])
            done += step
            self._written += step
            if self._written - self._started >= chunk:
                self._start_writeback()
        return total

    def _start_writeback(self) -> None:
        self._f.flush()  # the bytes must be in the kernel's pages before their write-out
        pending = self._written - self._started
        if self._sync(self._fd, self._started, pending, _SYNC_FILE_RANGE_WRITE) != 0:
            self._sync = _no_sync  # refused (e.g. a pipe or an odd filesystem): stop asking
        self._started = self._written

    def flush(self) -> None:
        self._f.flush()


def _no_sync(fd: int, offset: int, nbytes: int, flags: int) -> int:
    return 0


def with_early_writeback(f: Any) -> Any:
    """``f`` wrapped to start its disk write chunk by chunk; ``f`` itself where that is unavailable."""
    sync = _range_sync()
    return f if sync is None else WritebackFile(f, sync, CHUNK_BYTES)
