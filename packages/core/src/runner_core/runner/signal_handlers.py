"""Who handles a signal in this process, handlers installed outside Python included.

``signal.getsignal`` knows only the handlers set through Python's ``signal``
module. One installed in C (``faulthandler.register(signal.SIGUSR1)``, a C
extension, the application embedding Python) shows as ``SIG_DFL`` (or
``None``), and ``signal.signal`` replaces it without a trace. On Linux and
macOS, ``sigaction`` with no new action reads the real disposition, and the
saved action puts such a handler back afterwards. Elsewhere
(:func:`read_native` returns None) only what Python sees is known.
"""

from __future__ import annotations

import ctypes
import platform
import signal
import sys
from dataclasses import dataclass
from typing import Any

__all__ = ["Disposition", "current", "exit_as_signalled", "restore"]

#: larger than ``struct sigaction`` on every system it is read on
_ACTION_BYTES = 512


def _sigaction() -> Any:
    """libc's ``sigaction``, where its first field is the handler (not MIPS), else None."""
    if not (sys.platform.startswith("linux") or sys.platform == "darwin"):
        return None
    if platform.machine().lower().startswith("mips"):  # sa_flags comes first there
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).sigaction
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
    fn.restype = ctypes.c_int
    return fn


@dataclass(frozen=True)
class Disposition:
    """What a signal does now.

    Attributes:
        kind: ``'default'`` (SIG_DFL), ``'ignored'`` (SIG_IGN), ``'python'`` (a
            callable set with ``signal.signal``) or ``'native'`` (a handler set
            outside Python, e.g. by ``faulthandler.register``).
        python: what ``signal.signal`` returns for it (the callable for ``'python'``).
        native: the raw ``sigaction`` record, to put a native handler back
            (None when it cannot be read here).
    """

    kind: str
    python: Any
    native: bytes | None = None


def _read_native(signum: int) -> tuple[int, bytes] | None:
    """``(handler address, raw sigaction)`` of ``signum``, or None where unknown."""
    fn = _sigaction()
    if fn is None:
        return None
    buf = ctypes.create_string_buffer(_ACTION_BYTES)
    if fn(int(signum), None, buf) != 0:
        return None
    return int(ctypes.c_void_p.from_buffer(buf).value or 0), buf.raw


def exit_as_signalled(signum: int, frame: Any) -> None:
    """End the process at once with status 128 + ``signum``: what the default action
    reports to a shell, but as the exit status a preempted run promises (a second
    SIGTERM while a stopped run winds down must not turn 143 into "killed by 15").
    :func:`current` reports it as the default action, so the next run takes it over."""
    import os

    os._exit(128 + signum)


def current(signum: int) -> Disposition:
    """What ``signum`` does now, as this process set it (in Python or not)."""
    python = signal.getsignal(signum)
    if python is exit_as_signalled:
        return Disposition("default", signal.SIG_DFL)
    if callable(python):
        return Disposition("python", python)
    native = _read_native(signum)
    if native is not None:
        address, raw = native
        if address not in (int(signal.SIG_DFL), int(signal.SIG_IGN)):
            return Disposition("native", python, raw)
        return Disposition("ignored" if address == int(signal.SIG_IGN) else "default", python)
    if python is None:  # installed before Python started, outside it
        return Disposition("native", python)
    return Disposition("ignored" if python == signal.SIG_IGN else "default", python)


def restore(signum: int, was: Disposition) -> bool:
    """Put back what :func:`current` returned; False when a native handler could not be."""
    if was.kind == "python":
        signal.signal(signum, was.python)
        return True
    if was.kind != "native":
        signal.signal(signum, signal.SIG_IGN if was.kind == "ignored" else signal.SIG_DFL)
        return True
    believed = was.python if was.python in (signal.SIG_DFL, signal.SIG_IGN) else signal.SIG_DFL
    signal.signal(signum, believed)  # what Python's own table said
    fn = _sigaction()
    if fn is None or was.native is None:
        return False
    buf = ctypes.create_string_buffer(was.native, len(was.native))
    return bool(fn(int(signum), buf, None) == 0)
