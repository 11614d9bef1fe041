"""Whether a process id still runs, and when it started, asked without disturbing it.

Locks (a work dir's, a sweep's trials) and the temp files of interrupted saves
record the pid that wrote them; a later run asks whether that process still
runs before it takes them over. ``os.kill(pid, 0)`` asks on POSIX. On Windows
the same call is ``TerminateProcess(pid, 0)``: it would kill the run it asks
about, so the process is opened for a query instead.
"""

from __future__ import annotations

import os
import subprocess
import time

__all__ = ["pid_alive", "process_start_time", "start_ticks"]

_WINDOWS = os.name == "nt"
_STILL_ACTIVE = 259  # GetExitCodeProcess's code for a running process
_ERROR_ACCESS_DENIED = 5
_PROCESS_QUERY_LIMITED_INFORMATION = 0x1000


def pid_alive(pid: int) -> bool:
    """True while process ``pid`` runs (someone else's too); False for pids <= 0."""
    if pid <= 0:
        return False
    if _WINDOWS:
        return _alive_windows(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    except OSError:  # not known to be gone: the safe answer for a lock or a temp file
        return True
    return True


def _alive_windows(pid: int) -> bool:
    """OpenProcess + GetExitCodeProcess: whether ``pid`` runs, without touching it."""
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    kernel32.OpenProcess.restype = wintypes.HANDLE
    kernel32.OpenProcess.argtypes = (wintypes.DWORD, wintypes.BOOL, wintypes.DWORD)
    kernel32.GetExitCodeProcess.argtypes = (wintypes.HANDLE, ctypes.POINTER(wintypes.DWORD))
    kernel32.CloseHandle.argtypes = (wintypes.HANDLE,)
    handle = kernel32.OpenProcess(_PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
    if not handle:  # no such process, or one we may not open (which exists)
        return bool(ctypes.get_last_error() == _ERROR_ACCESS_DENIED)  # type: ignore[attr-defined]
    try:
        code = wintypes.DWORD()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True  # it exists; its state could not be read
        return bool(code.value == _STILL_ACTIVE)
    finally:
        kernel32.CloseHandle(handle)


def start_ticks(pid: int) -> int | None:
    """When ``pid`` started, in clock ticks since boot (Linux's ``/proc``; None elsewhere):
    exact, so a lock tells its writer from a later process reusing the number."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def process_start_time(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch, to about a second), from
    ``ps``; None where that cannot be asked (Windows, no ``ps``, no such process).

    A lock records the time it was written; a live pid that started after it is
    another process that reuses the number (after a reboot, say), not the writer.
    (Linux locks compare the kernel's start ticks instead, exactly.)
    """
    if _WINDOWS or pid <= 0:
        return None
    for attempt in range(3):
        try:
            done = subprocess.run(
                ["ps", "-o", "etime=", "-p", str(int(pid))],
                capture_output=True,
                text=True,
                timeout=5,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        age = _elapsed_seconds(done.stdout.strip()) if done.returncode == 0 else None
        if age is None:
            return None
        now = time.time()
        if age <= now:
            return now - age
        # a process caught while it is being born can read as older than the epoch
        # (procps: '441077234-00:18:40'); asked again a moment later it reads right
        time.sleep(0.01 * (attempt + 1))
    return None


def _elapsed_seconds(text: str) -> int | None:
    """``ps``'s ``etime``, ``[[dd-]hh:]mm:ss``, in seconds (None if it is not one)."""
    days, _, clock = text.rpartition("-")
    parts = clock.split(":")
    if not 2 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return None
    if days and not days.isdigit():
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds + int(days or 0) * 86400
