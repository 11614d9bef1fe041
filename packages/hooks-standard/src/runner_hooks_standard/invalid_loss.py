"""``CheckInvalidLossHook``: stop at the first NaN or infinite loss, with a clear message.

Training on after a NaN only burns time and can overwrite good checkpoints
with NaN weights. The check runs right after the step, before any hook of
that iteration saves a checkpoint, so every file already written stays
intact.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from operator import methodcaller
from typing import Any

import torch

from runner_core.contract import RunnerAPI
from runner_core.errors import RunnerError
from runner_core.hooks import Hook, Priority

_item = methodcaller("item")


class InvalidLossError(RunnerError):
    """The training loss became NaN or infinite."""


class CheckInvalidLossHook(Hook):
    """Raise :class:`InvalidLossError` when the loss is not finite.

    Checks ``outputs['loss']`` (or, without it, every term whose key contains
    ``'loss'``). The losses of ``interval`` iterations are checked together,
    with one finiteness test (reading its result waits for the device once,
    not once per iteration); the error names the first bad iteration and its
    loss terms. Pending losses are also checked at the end of each epoch,
    before any checkpoint is written and when training ends, so no checkpoint
    ever holds a NaN run.
    ``interval=1`` stops at the bad iteration itself. Disable with
    ``default_hooks=dict(check_invalid_loss=None)``.
    """

    priority: int | str = Priority.ABOVE_NORMAL

    def __init__(self, interval: int = 50) -> None:
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            from runner_core.errors import ConfigError

            raise ConfigError(
                f"CheckInvalidLossHook interval must be a positive integer, got {interval!r}."
            )
        self.interval = interval
        # The outputs of the iterations not yet checked, one entry per iteration (the loss
        # is read from them when the window is checked; see _Outputs). Iterations follow one
        # another, so only the first pending one's position is kept (iterations done,
        # epoch, batch index); the window is checked at each epoch's end, so it never
        # spans two epochs. Per iteration that is one list append.
        self._pending: list[Any] = []
        self._first = (0, 0, 0)
        # the checkpoint the work dir's pointer named when training started: an earlier
        # run's, unless this run resumed from it (see _message)
        self._pointer_at_start: tuple[str, Any] | None = None

    def before_train(self, runner: RunnerAPI) -> None:
        latest = _pointer(runner)
        self._pointer_at_start = None if latest is None else (latest, _written(latest))

    def after_train_iter(
        self,
        runner: RunnerAPI,
        batch_idx: int,
        data_batch: Any = None,
        outputs: Any = None,
    ) -> None:
        pending = self._pending
        if not pending:
            self._first = (runner.iter + 1, runner.epoch, batch_idx)
        if type(outputs) is dict and len(outputs) == 1 and "loss" in outputs:
            pending.append(outputs["loss"])  # the usual {'loss': tensor}: see _Outputs
        elif type(outputs) is dict or isinstance(outputs, Mapping):
            pending.append(outputs)
        else:  # a bare tensor, or anything else a step returned
            pending.append(_Outputs(outputs))
        if len(pending) >= self.interval:
            self._check(runner)

    def after_train_epoch(self, runner: RunnerAPI) -> None:
        self._check(runner)

    def before_save_checkpoint(self, runner: RunnerAPI, checkpoint: dict) -> None:
        self._check(runner)

    def after_train(self, runner: RunnerAPI) -> None:
        self._check(runner)

    def on_exception(self, runner: RunnerAPI, exception: BaseException) -> None:
        """Check the losses not yet checked when the run failed: a NaN among them is
        likely why, so it is logged and noted on the error. Then they are dropped, so
        a next ``train()`` of this Runner does not report this run's iterations."""
        if isinstance(exception, InvalidLossError):  # said already (another such hook)
            self._pending = []
            return
        try:
            self._check(runner, stopped_here=False)
        except InvalidLossError as err:
            from runner_core.errors import add_note

            runner.logger.error("Before the run stopped: %s", err)
            add_note(exception, f"Before the run stopped: {err}")
        except Exception:  # the device failed: its losses cannot be read
            pass
        finally:
            self._pending = []

    def _check(self, runner: RunnerAPI, stopped_here: bool = True) -> None:
        kept, self._pending = self._pending, []
        if not kept:
            return
        values = _read_through_history(runner, kept)
        if values is None:
            values = _cpu_scalar_losses(kept)
        if values is not None:
            offset = _first_non_finite(values)
        else:
            offset = _first_bad_in([_outputs_of(entry) for entry in kept])
        if offset is None:
            return
        done, epoch, batch_idx = self._first
        outputs = _outputs_of(kept[offset])
        last = done + len(kept) - 1  # the losses are checked in windows: where it stops
        raise InvalidLossError(
            _message(
                runner,
                outputs,
                done + offset,
                epoch,
                batch_idx + offset,
                stopped_here,
                last,
                self._pointer_at_start,
            )
        )

    def __repr__(self) -> str:
        return f"CheckInvalidLossHook(interval={self.interval})"


class _Outputs:
    """A step's outputs that are not a mapping (a bare tensor), kept whole.

    For the usual ``{'loss': tensor}`` the hook keeps only the loss, not the
    one-key dict around it: fifty small dicts kept alive per window cost W1
    ~0.8 %, the tensors alone ~0.3 % (the heap and the collector; measured in
    co-scheduled pairs, docs/benchmarks.md). Other mappings are kept as they
    are. A non-mapping is wrapped in this, so that it is never taken for a
    kept loss; :func:`_outputs_of` rebuilds what the step returned.
    """

    __slots__ = ("outputs",)

    def __init__(self, outputs: Any) -> None:
        self.outputs = outputs


def _outputs_of(entry: Any) -> Any:
    """The step's outputs back from what the hook kept of them."""
    if type(entry) is _Outputs:
        return entry.outputs
    if isinstance(entry, Mapping):
        return entry
    return {"loss": entry}


def _read_through_history(runner: RunnerAPI, kept: list[Any]) -> list[Any] | None:
    """The window's losses as numbers, read through the ``train/loss`` history.

    ``RuntimeInfoHook`` records the same loss tensors this hook keeps, and
    the log line reads them later: read here once, for both (one device wait
    on a GPU instead of two). None when the history does not hold exactly
    these tensors as its newest entries (read already, another writer, no
    such history) or they cannot be read as numbers.
    """
    hub = getattr(runner, "message_hub", None)
    history = None if hub is None else hub.log_scalars.get("train/loss")
    if history is None:
        return None
    try:
        return history.read_newest(kept)
    except (TypeError, ValueError, RuntimeError):  # e.g. a loss with several elements
        return None


def _cpu_scalar_losses(kept: list[Any]) -> list[Any] | None:
    """The window's losses as numbers, when every step returned ``{'loss': <CPU scalar>}``.

    The common case, read in one pass (no device to wait for on the CPU);
    None for anything else, which :func:`_first_bad_in` handles.
    """
    if not getattr(kept[0], "is_cpu", False):
        return None
    try:
        return list(map(_item, kept))  # the loop in C: see the history's read path
    except (TypeError, AttributeError, RuntimeError):  # a step without one scalar loss
        return None


def _first_non_finite(values: list[Any]) -> int | None:
    """The index of the first value that is NaN or infinite, or None."""
    if math.isfinite(sum(values)):
        return None
    # None here too: the sum overflowed while every value is finite
    return next((k for k, v in enumerate(values) if not math.isfinite(v)), None)


def _first_bad_in(window: list[Any]) -> int | None:
    """The offset in ``window`` of the first step whose loss is not finite, or None."""
    losses = [(k, total) for k, out in enumerate(window) if (total := _total_loss(out)) is not None]
    if not losses:
        return None
    first = _first_bad([total for _, total in losses])
    return None if first is None else losses[first][0]


def _first_bad(totals: list[Any]) -> int | None:
    """The index of the first loss in ``totals`` that is not finite, or None."""
    if totals[0].is_cpu and all(t.dim() == 0 for t in totals):
        # numbers on the CPU: reading them is cheaper than stacking (no device to wait for)
        return _first_non_finite([t.item() for t in totals])
    with torch.no_grad():
        dtype = totals[0].dtype
        if not all(t.dim() == 0 and t.dtype == dtype for t in totals):
            totals = [t.detach().float().sum() for t in totals]
        finite = torch.isfinite(torch.stack(totals))  # one op, one device wait, for the window
    if bool(finite.all()):
        return None
    return int((~finite).nonzero()[0, 0])


def _total_loss(outputs: Any) -> Any:
    """The loss tensors in a step's outputs, or None: every term whose key says 'loss'.

    Not just ``outputs['loss']``: a model that returns its own ``loss`` term
    beside others has that term logged as ``loss`` (as in MMEngine), and a
    NaN in another term must still be found at its iteration.
    """
    if isinstance(outputs, torch.Tensor):
        return outputs
    if type(outputs) is not dict and not isinstance(outputs, Mapping):
        return None
    terms = [v for k, v in outputs.items() if "loss" in k and isinstance(v, torch.Tensor)]
    if not terms:
        return None
    if len(terms) == 1:
        return terms[0]
    return torch.stack([t.detach().float().sum() for t in terms])


def _describe(value: Any) -> str:
    try:
        number = float(value.detach().float().sum()) if hasattr(value, "detach") else float(value)
    except (TypeError, ValueError, RuntimeError):
        return repr(value)
    return "nan" if math.isnan(number) else str(number)


def _pointer(runner: RunnerAPI) -> str | None:
    """The checkpoint the work dir's pointer names (a URL too, a remote out_dir), or None."""
    try:
        from runner_core.checkpoint import read_pointer_location

        latest = read_pointer_location(runner.work_dir)
    except Exception:  # the message must not fail because of the pointer file
        return None
    return None if latest is None else str(latest)


def _written(path: str) -> Any:
    """Which write of ``path`` is there (None for a URL, or a file that cannot be read)."""
    try:
        stat = os.stat(path)
    except (OSError, ValueError):
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _message(
    runner: RunnerAPI,
    outputs: Any,
    done: int,
    epoch: int,
    batch_idx: int,
    stopped_here: bool = True,
    last: int | None = None,
    pointer_at_start: tuple[str, Any] | None = None,
) -> str:
    """Why the run stopped (``stopped_here``, after iteration ``last``), or, when another
    error stopped it, the non-finite loss that came before that error.
    ``pointer_at_start``: the newest checkpoint when training started."""
    if isinstance(outputs, Mapping):
        bad = [
            k
            for k, v in outputs.items()
            if isinstance(v, torch.Tensor) and not bool(torch.isfinite(v).all())
        ]
        terms = ", ".join(f"{k!r} = {_describe(outputs[k])}" for k in bad) or "the loss"
        noun = "loss term" if len(bad) == 1 else "loss terms"
    else:
        terms, noun = f"loss = {_describe(outputs)}", "loss"
    saved = ""
    latest = _pointer(runner)
    if latest is not None and pointer_at_start == (latest, _written(latest)):
        resumed = runner.resume_state.resumed_from  # or this run's start
        earlier = resumed is None or os.path.realpath(resumed) != os.path.realpath(latest)
    else:
        earlier = False
    if earlier:
        saved = (
            f" This run saved no checkpoint: the newest in the work dir, {latest}, is an "
            "earlier run's."
        )
    elif latest is not None:
        saved = f" The newest checkpoint, {latest}, was saved before this and is intact."
    if not stopped_here:
        lead = "A non-finite loss came first, at"
    elif last is None or last == done:
        lead = "Training stopped at"
    else:  # the window was checked later than the bad iteration
        lead = f"Training stopped after iteration {last}, where the losses are checked; the first non-finite one came at"
    way_out = (
        " To continue anyway, remove this check with default_hooks=dict(check_invalid_loss=None)."
        if stopped_here
        else ""
    )
    return (
        f"{lead} iteration {done} (epoch {epoch + 1}, batch {batch_idx + 1}): "
        f"{noun} {terms} is not finite (NaN or infinite).{saved} Common causes: a learning "
        "rate too high for this model (lower it, or add a warm-up scheduler), gradients that "
        "explode (set optim_wrapper=dict(clip_grad=dict(max_norm=...))), fp16 overflow, or bad "
        f"input data (a NaN in the batch).{way_out}"
    )
