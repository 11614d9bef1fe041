"""The live progress display the LoggerHook shows in an interactive terminal.

In a terminal, scrolling a line every ``interval`` iterations buries
everything else; a progress bar with the rate, the ETA and the latest loss
says the same in one line. Pipes, CI logs and files keep plain lines (the
LoggerHook decides; see :func:`wants_progress`).
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import time
from typing import Any

from runner_core.logging.log_processor import format_eta  # re-exported: the bar shows it too
from runner_core.logging.logger import ConsoleHandler

# The display is redrawn by the training thread when the hook pushes new numbers,
# at most this often, so a training iteration pays a clock read, not a redraw.
TICK_SECONDS = 0.1

#: the displays live now, and the ``sys.breakpointhook`` they wrap (see _breakpoint)
_live_displays: list[ProgressDisplay] = []
_outer_hook: list[Any] = []


def _breakpoint(*args: Any, **kwargs: Any) -> Any:
    """``breakpoint()`` while a bar is live: the bars end (until the next epoch or
    validation starts them) and the console is the terminal's again, then the debugger
    starts at the caller's line, as without a bar."""
    outer = _outer_hook[0] if _outer_hook else sys.__breakpointhook__
    setting = os.environ.get("PYTHONBREAKPOINT")
    if outer is sys.__breakpointhook__ and setting == "0":
        return None  # breakpoints turned off: the run goes on, bar and all
    for display in list(_live_displays):
        display.stop()
    if outer is sys.__breakpointhook__ and setting in (None, "", "pdb.set_trace"):
        import pdb

        return pdb.Pdb().set_trace(sys._getframe(1))  # the caller's frame, not this one
    return outer(*args, **kwargs)


def wants_progress(stream: Any = None) -> bool:
    """True in an interactive terminal; False in a pipe, in CI, with NO_COLOR or TERM=dumb."""
    stream = sys.stdout if stream is None else stream
    if os.environ.get("CI") or "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class ProgressDisplay:
    """One rich ``Progress`` with a training task and, while it runs, an evaluation task.

    While it is live, the console handlers of ``logger`` write through rich
    (above the bar) instead of over it; :meth:`stop` puts them back.
    """

    def __init__(self, logger: logging.Logger | None = None) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.text import Text

        class RateColumn(ProgressColumn):
            def render(self, task: Any) -> Text:
                speed = task.finished_speed or task.speed
                if speed is None:
                    return Text("-- it/s")
                if speed < 1:
                    return Text(f"{1 / speed:.2f} s/it")
                return Text(f"{speed:.2f} it/s")

        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TextColumn("eta {task.fields[eta]}"),
            TextColumn("{task.fields[status]}"),
            transient=False,
            # redrawn by the training thread as it moves (tick_*), never by a thread of its
            # own: a run stopped in pdb or breakpoint() leaves the prompt alone
            auto_refresh=False,
        )
        self._logger = logger
        self._swapped: list[tuple[logging.StreamHandler, Any]] = []
        self._train: Any = None
        self._eval: Any = None
        self._next_tick = 0.0
        self.live = False

    # -- lifetime ------------------------------------------------------------------------
    def start(self) -> None:
        if self.live:
            return
        self.progress.start()
        self.live = True
        # breakpoint() in a hook or a model: the debugger gets the plain terminal
        if not _live_displays and sys.breakpointhook is not _breakpoint:
            _outer_hook[:] = [sys.breakpointhook]
            sys.breakpointhook = _breakpoint
        _live_displays.append(self)
        # a run that dies mid-epoch must not leave the terminal with a hidden cursor
        atexit.register(self.stop)
        # log lines go through rich's console only on a terminal: elsewhere (a forced bar
        # in a file or a notebook's captured stream) rich would hard-wrap them at 80 columns
        if self._logger is not None and self.progress.console.is_terminal:
            from rich.file_proxy import FileProxy

            for handler in self._logger.handlers:
                if type(handler) is logging.StreamHandler or type(handler) is ConsoleHandler:
                    old = handler.stream
                    handler.setStream(FileProxy(self.progress.console, old))
                    self._swapped.append((handler, old))

    def stop(self) -> None:
        """Put the console handlers and ``sys.stdout`` back and leave the bars as drawn.

        Safe to call twice (``after_train``, then ``after_run`` or ``on_exception``).
        The bars drawn stay on the screen; the next :meth:`start` begins with none,
        not with the tasks of the run that ended (an interrupted epoch's half bar).
        """
        if not self.live:
            return
        if self in _live_displays:
            _live_displays.remove(self)
        if not _live_displays and sys.breakpointhook is _breakpoint and _outer_hook:
            sys.breakpointhook = _outer_hook.pop()
        try:
            for handler, old in self._swapped:
                stream = handler.stream
                try:
                    if hasattr(stream, "flush"):
                        stream.flush()
                finally:
                    handler.setStream(old)
        finally:
            self._swapped.clear()
            self.live = False
            atexit.unregister(self.stop)
            try:
                self.progress.stop()
            finally:
                for task in list(self.progress.task_ids):
                    self.progress.remove_task(task)
                self._train = self._eval = None

    # -- tasks ----------------------------------------------------------------------------
    def start_train(self, description: str, total: int | None, completed: int = 0) -> None:
        if self._train is not None:
            self.progress.remove_task(self._train)
        self._train = self.progress.add_task(
            description, total=total, completed=completed, eta="-", status=""
        )
        self._redraw()

    def tick_train(self, completed: int, hub: Any = None, force: bool = False) -> None:
        """Move the training bar; cheap when called often (updates at most every 0.1 s).

        ``hub`` (the MessageHub) is read for the ETA only when the bar moves.
        """
        now = time.monotonic()
        if (now < self._next_tick and not force) or self._train is None:
            return
        self._next_tick = now + TICK_SECONDS
        eta = hub.get_info("eta") if hub is not None else None
        if eta is None:
            self.progress.update(self._train, completed=completed)
        else:
            self.progress.update(self._train, completed=completed, eta=format_eta(eta))
        self._redraw()

    def update_train(self, completed: int, eta: str, status: str) -> None:
        if self._train is not None:
            self.progress.update(self._train, completed=completed, eta=eta, status=status)
            self._redraw()

    def start_eval(self, description: str, total: int | None) -> None:
        self.finish_eval()
        self._eval = self.progress.add_task(description, total=total, eta="-", status="")
        self._redraw()

    def tick_eval(self, completed: int) -> None:
        now = time.monotonic()
        if now < self._next_tick or self._eval is None:
            return
        self._next_tick = now + TICK_SECONDS
        self.progress.update(self._eval, completed=completed)
        self._redraw()

    def finish_eval(self) -> None:
        if self._eval is not None:
            self.progress.remove_task(self._eval)
            self._eval = None
            self._redraw()

    def _redraw(self) -> None:
        if self.live:
            self.progress.refresh()
