"""Hold Ctrl-C while a checkpoint is being written.

``torch.save`` writes through a Python callback, and a ``KeyboardInterrupt``
raised inside it comes out as ``RuntimeError('... unexpected pos ...')``: a
Ctrl-C that lands mid-save would read as a failed save (exit 1, "could not save
checkpoint") instead of a clean stop, and the file being written would be lost.
While a save is in progress the first Ctrl-C is therefore held and raised as
``KeyboardInterrupt`` the moment the file (and the pointer naming it) is
complete; a second Ctrl-C gives up the save at once, leaving the previous file
in place.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["CtrlCHold", "hold_ctrl_c"]


class CtrlCHold:
    """What a hold saw: ``pressed`` counts the Ctrl-Cs received while it was active."""

    def __init__(self) -> None:
        self.pressed = 0


_active: CtrlCHold | None = None


@contextlib.contextmanager
def hold_ctrl_c() -> Iterator[CtrlCHold]:
    """Defer SIGINT to the end of the block (a second one interrupts at once).

    Nested holds share the outermost one, which raises the held interrupt when
    it ends. Only Python's own Ctrl-C handling is held, and only in the main
    thread: a custom SIGINT handler, or a save from another thread, is left as
    it is (``pressed`` then stays 0).
    """
    global _active
    if _active is not None:
        yield _active
        return
    hold = CtrlCHold()
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield hold
        return

    def on_sigint(signum: int, frame: Any) -> None:
        hold.pressed += 1
        if hold.pressed > 1:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)
    _active = hold
    try:
        yield hold
    finally:
        _active = None
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if hold.pressed:
        raise KeyboardInterrupt
