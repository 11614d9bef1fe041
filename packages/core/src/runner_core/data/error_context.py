"""Errors raised while loading data name the dataset, the sample, the epoch and the batch.

A dataset's ``__getitem__`` that raises deep inside a run otherwise reads as
``ValueError: sample 300 is corrupt`` with no hint of which dataset, which
index or when; from a worker process torch even folds the worker's whole
traceback into the message. :class:`ContextDataLoader` (what
``build_dataloader`` returns) keeps the exception and its type, and adds a
note (``exc.__notes__``, shown by Python's traceback and by ``runner-cli``):
``while loading sample 300 of CorruptDataset (train_dataloader, Epoch(train)
[2][5/8])``. The index comes from the failing frame when the sample was
loaded in this process; for a worker, the failing batch's samples are loaded
again here, one by one, to find it; when each loads on its own (``collate_fn``
failed), the note names the batch's indices instead. A worker's message is cut back to its
last line, and its traceback is kept as a second note for the log file. A worker
that died (a crash, the OOM killer) is named as such, and its batch is not loaded
again here: what ended the worker could end this process too. Workers that
cannot start under ``spawn`` / ``forkserver`` are explained by
:mod:`.worker_pickling`.
"""

from __future__ import annotations

import contextlib
import re
import weakref
from collections.abc import Iterator
from typing import Any

from torch.utils.data import DataLoader

from ..errors import add_note
from . import worker_signals
from .dataloader import InProcessSeeding, IteratorWrapper
from .sampler import SeededBatchSampler
from .worker_pickling import (
    explain_pickling_failure,
    interactive_main_names,
    is_pickling_failure,
    start_method,
)

__all__ = ["CONTEXT_NOTE_PREFIX", "ContextDataLoader"]

#: Notes added here start with this, so a short report can pick them out.
CONTEXT_NOTE_PREFIX = "while loading "
_WORKER_NOTE_PREFIX = "traceback in the data-loader worker:\n"
_FETCH_FILE = "torch/utils/data/_utils/fetch.py"
_SHOWN = 16  # indices of a failing batch named in its note


class ContextDataLoader(DataLoader):
    """A ``DataLoader`` whose data errors say where they happened (see the module docstring).

    Without workers it also loads each batch under the batch's own seed
    (``InProcessSeeding``), as workers do.
    """

    def show_batching(self, sampler: Any, batch_size: int, drop_last: bool) -> None:
        """Report the sampler and batch size behind ``build_dataloader``'s own batch sampler.

        A ``DataLoader`` given a ``batch_sampler`` reports ``sampler`` as a
        stand-in ``SequentialSampler`` and ``batch_size=None``; code written
        for a plain loader (``loader.sampler.set_epoch(...)``,
        ``loader.batch_size``) reads what a ``batch_size=`` loader reports.
        Iteration goes through ``batch_sampler`` either way.
        """
        for name, value in (
            ("sampler", sampler),
            ("batch_size", batch_size),
            ("drop_last", drop_last),
        ):
            object.__setattr__(self, name, value)  # DataLoader refuses these after __init__

    key_path = "dataloader"

    def __iter__(self) -> Iterator[Any]:  # type: ignore[override]
        base = _base_sampler(self)
        start = int(getattr(base, "_start", 0) or 0)  # read before the iterator resets it
        epoch = getattr(base, "epoch", None)
        inner: Any
        if self.num_workers == 0 and isinstance(self.batch_sampler, SeededBatchSampler):
            # no workers: this process loads each batch under its seed (the sampler's
            # generator is lazy, so the start it reads is still the one set)
            inner = InProcessSeeding(super().__iter__(), self.batch_sampler)
        else:
            starting: Any = contextlib.nullcontext()
            if self.num_workers > 0:  # workers start now (or already run: persistent)
                starting = worker_signals.held_while_starting(start_method(self))
            try:
                with starting:
                    inner = super().__iter__()
            except Exception as exc:
                if self.num_workers > 0 and is_pickling_failure(exc):  # spawn / forkserver
                    explain_pickling_failure(self, exc)
                raise
        if self.num_workers > 0 and not self.persistent_workers:
            # not kept by torch: Runner.release_data_workers reaches it through this (an
            # error from a worker keeps it alive in a reference cycle of its traceback)
            self._live_iterator = weakref.ref(inner)
        return _ContextIterator(self, inner, start, epoch)


class _ContextIterator(IteratorWrapper):
    def __init__(self, loader: ContextDataLoader, inner: Any, start: int, epoch: Any) -> None:
        super().__init__(inner)
        self._loader = loader
        self._start_samples, self._epoch = start, epoch
        size = loader.batch_size or getattr(loader.batch_sampler, "batch_size", None) or 1
        self._first_batch = start // size
        self._done = 0

    def __next__(self) -> Any:
        try:
            batch = next(self._inner)
        except StopIteration:
            raise
        except Exception as exc:
            try:
                _annotate(exc, self)
            except Exception:  # the context is a courtesy: never replace the real error
                pass
            raise
        self._done += 1
        return batch


def _base_sampler(loader: Any) -> Any:
    batch_sampler = getattr(loader, "batch_sampler", None)
    return getattr(batch_sampler, "sampler", None) or getattr(loader, "sampler", None)


def _annotate(exc: BaseException, it: _ContextIterator) -> None:
    if any(str(n).startswith(CONTEXT_NOTE_PREFIX) for n in getattr(exc, "__notes__", [])):
        return
    loader = it._loader
    dataset = loader.dataset
    message = str(exc)
    from_worker = message.startswith("Caught ") and "Original Traceback" in message
    if from_worker:
        lines = [line for line in message.splitlines() if line.strip()]
        # the exception's own line; notes the worker added (the failing transform) follow it
        name = type(exc).__name__
        at = next(
            (i for i in range(len(lines) - 1, -1, -1) if lines[i].split(":", 1)[0] == name),
            len(lines) - 1,
        )
        last = lines[at]
        short = last.split(": ", 1)[1] if ": " in last else last
        for note in lines[at + 1 :]:
            if note.startswith("Raised in "):
                add_note(exc, note)
        if isinstance(exc, KeyError):  # its str() is repr(key): the text shows it quoted already
            import ast

            try:
                short = ast.literal_eval(short)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                pass
        try:
            exc.args = (short,)
        except Exception:  # an exception type that refuses new args keeps its text
            pass
        add_note(exc, _WORKER_NOTE_PREFIX + message)
    position = it._first_batch + it._done  # 0-based batch of the epoch that failed
    died = None if from_worker else _worker_death(exc)
    index = None if from_worker or died is not None else _index_from_frames(exc)
    batch: list[int] | None = None
    if index is None and died is None:  # a dead worker's batch could stop this process too
        index, batch = _find_failing_sample(it, position)
    method = start_method(loader) if loader.num_workers > 0 else "fork"
    total = _length(loader)
    of = f"/{total}" if total else ""
    key = getattr(loader, "key_path", "dataloader")
    if key.startswith("train") and it._epoch is not None:
        when = f"Epoch(train) [{int(it._epoch) + 1}][{position + 1}{of}]"
    else:
        when = f"batch {position + 1}{of}"
    if index is not None:
        what = f"sample {index}"
    elif batch:  # every sample loads on its own: putting them together failed (collate_fn)
        shown = ", ".join(map(str, batch[:_SHOWN])) + (", ..." if len(batch) > _SHOWN else "")
        what = f"samples [{shown}]"
        if method == "fork":
            when += "; each sample loaded again alone without error: check collate_fn"
            when += _default_collate_hint(loader, key)
        else:  # or the worker lacks what this process set up at run time
            when += (
                "; each sample loaded again alone in the main process without error: check "
                f"collate_fn, and what a worker started with {method!r} lacks (it imports "
                "the modules the dataset's pickle names and those custom_imports names: "
                "registrations or globals made at run time in the main process are not "
                "there)"
            )
    else:
        what = f"batch {position + 1}"
    if died is not None:
        when += (
            f"; a data-loader worker process died ({died}); its own error, if any, is printed "
            "above; the batch is not loaded again here, as what stopped the worker could stop "
            "this process too"
        )
        if method != "fork":
            when += _spawn_death_hint(loader, method)
    add_note(exc, f"{CONTEXT_NOTE_PREFIX}{what} of {type(dataset).__name__} ({key}, {when})")


def _spawn_death_hint(loader: Any, method: str) -> str:
    """Why a worker started with ``spawn`` / ``forkserver`` may have died at its start."""
    names = interactive_main_names(loader)
    if names:
        return (
            f"; a worker started with {method!r} cannot import {', '.join(names)} from "
            "__main__, which here has no file it could import (a notebook, python -c): move "
            "them into a .py module and import them from there, or set "
            f"{loader.key_path}.multiprocessing_context='fork' (not on Windows) or "
            f"{loader.key_path}.num_workers=0"
        )
    return (
        f"; a worker started with {method!r} runs the main script again, so code there that "
        "builds and trains the Runner must sit under `if __name__ == '__main__':`"
    )


# torch's words for a worker process that ended (its exit code seen, or SIGCHLD's handler)
_DEATH = re.compile(r"DataLoader worker \(pids?(\(s\))? [^)]*\) (exited unexpectedly|is killed)")
_DEATH_CAUSE = re.compile(r"(is killed by signal: [^.]*|exited unexpectedly with exit code -?\d+)")


def _worker_death(exc: BaseException) -> str | None:
    """How a worker died (``'killed by signal: Killed'``), or None if ``exc`` is no worker death."""
    if not isinstance(exc, RuntimeError) or not _DEATH.match(str(exc)):
        return None
    found = _DEATH_CAUSE.search(f"{exc} {exc.__cause__ or ''}")
    return found.group(1).removeprefix("is ") if found else "exited unexpectedly"


def _length(loader: Any) -> int | None:
    try:
        return len(loader)
    except TypeError:
        return None


def _index_from_frames(exc: BaseException) -> Any:
    """The ``idx`` torch's fetcher was loading when the dataset raised (same process)."""
    tb = exc.__traceback__
    found = None
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_filename.replace("\\", "/").endswith(_FETCH_FILE):
            if "idx" in frame.f_locals:
                found = frame.f_locals["idx"]
        tb = tb.tb_next
    return found if isinstance(found, int) else None


def _find_failing_sample(
    it: _ContextIterator, position: int
) -> tuple[int | None, list[int] | None]:
    """Load the failing batch's samples again, here, one by one: the first that raises,
    and the batch's indices (None when the loader has no batch sampler to ask)."""
    loader = it._loader
    batch_sampler = getattr(loader, "batch_sampler", None)
    if batch_sampler is None:
        return None, None
    base = _base_sampler(loader)
    if base is not None and hasattr(base, "_start"):
        base._start = it._start_samples
    indices: Any = None
    try:
        for k, batch in enumerate(batch_sampler, it._first_batch):
            if k == position:
                indices = batch
                break
    finally:
        if base is not None and hasattr(base, "_start"):
            base._start = 0
    if indices is None:
        return None, None
    for index in indices:
        try:
            loader.dataset[index]
        except Exception:
            return int(index), None
    return None, [int(i) for i in indices]


def _default_collate_hint(loader: Any, key: str) -> str:
    """The first thing an OpenMMLab config meets here: its loaders name no collate_fn, and
    ours then stacks (``default_collate``) where MMEngine's leaves lists (``pseudo_collate``)."""
    from .collate import default_collate

    if loader.collate_fn is not default_collate:
        return ""
    return (
        f" ({key} collates with default_collate, the Runner's default; MMEngine's is "
        "pseudo_collate, which keeps samples of different sizes as lists: write "
        f"{key}.collate_fn=dict(type='pseudo_collate') if the model expects those)"
    )
