"""Options for ``runner.save_checkpoint`` that MMEngine's signature has no keywords for.

The checkpoint hook and a preemption stop save with options of our own
(move the ``last_checkpoint`` pointer, write in the background, prune after
the write). A Runner subclass written for MMEngine overrides
``save_checkpoint`` with MMEngine's arguments only and calls ``super()``;
passed as keywords, those options would make its override fail. So callers
set them around the call with :func:`checkpoint_save_options`, and
``Runner.save_checkpoint`` reads them when its own keywords are left out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .background import BackgroundWriter
    from .storage import RemotePath

__all__ = ["SaveOptions", "checkpoint_save_options", "take_save_options"]


@dataclass
class SaveOptions:
    """What ``Runner.save_checkpoint``'s keyword-only arguments mean (their defaults), and
    whether a save took them (``taken``: False after the call when an override of
    ``save_checkpoint`` saved without calling ``Runner.save_checkpoint``)."""

    update_pointer: bool = False
    fsync: bool = True
    background: BackgroundWriter | None = None
    after_write: Callable[[Path | RemotePath], object] | None = None
    #: every rank makes this call (the checkpoint hook, a preemption stop): each rank's
    #: random streams and statistics are gathered into the file. A plain call may come
    #: from rank 0 alone (MMEngine's ``save_checkpoint`` is master-only), so it gathers none
    every_rank: bool = False
    taken: bool = False


_DEFAULT = SaveOptions()
_current: ContextVar[SaveOptions] = ContextVar("checkpoint_save_options", default=_DEFAULT)


@contextlib.contextmanager
def checkpoint_save_options(
    *,
    update_pointer: bool = False,
    fsync: bool = True,
    background: BackgroundWriter | None = None,
    after_write: Callable[[Path | RemotePath], object] | None = None,
    every_rank: bool = False,
) -> Iterator[SaveOptions]:
    """Apply these options to the next ``runner.save_checkpoint(...)`` call in the block
    (keywords given to the call win); saves nested in that one get the defaults. Yields
    the options, whose ``taken`` says afterwards whether a save took them."""
    options = SaveOptions(update_pointer, fsync, background, after_write, every_rank)
    token = _current.set(options)
    try:
        yield options
    finally:
        _current.reset(token)


def take_save_options() -> SaveOptions:
    """The options set for this save; the saves it makes (a hook's own export) get the
    defaults. ``Runner.save_checkpoint`` calls it once, on entry."""
    options = _current.get()
    if options is not _DEFAULT:
        options.taken = True
        _current.set(_DEFAULT)
    return options
