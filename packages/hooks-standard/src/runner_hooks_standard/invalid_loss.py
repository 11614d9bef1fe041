"""``CheckInvalidLossHook``: stop at the first NaN or infinite loss, with a clear message.

Training on after a NaN only burns time and can overwrite good checkpoints
with NaN weights. The check runs right after the step, before any hook of
that iteration saves a checkpoint, so every file already written stays
intact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from runner_core.contract import RunnerAPI
from runner_core.errors import RunnerError
from runner_core.hooks import Hook, Priority


class InvalidLossError(RunnerError):
    """The training loss became NaN or infinite."""


class CheckInvalidLossHook(Hook):
    """Raise :class:`InvalidLossError` when the loss is not finite.

    Checks ``outputs['loss']`` (or, without it, every term whose key contains
    ``'loss'``). The losses of ``interval`` iterations are checked together,
    with one finiteness test (reading its result waits for the device once,
    not once per iteration); the error names the first bad iteration and its
    loss terms. Pending losses are also checked before any checkpoint is
    written and when training ends, so no checkpoint ever holds a NaN run.
    ``interval=1`` stops at the bad iteration itself. Disable with
    ``default_hooks=dict(check_invalid_loss=None)``.
    """

    priority = Priority.ABOVE_NORMAL

    def __init__(self, interval: int = 50) -> None:
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            from runner_core.errors import ConfigError

            raise ConfigError(
                f"CheckInvalidLossHook interval must be a positive integer, got {interval!r}."
            )
        self.interval = interval
        # (total loss, outputs, iterations done, epoch, batch index) not yet checked
        self._pending: list[tuple[Any, Any, int, int, int]] = []

    def after_train_iter(
        self,
        runner: RunnerAPI,
        batch_idx: int,
        data_batch: Any = None,
        outputs: Any = None,
    ) -> None:
        if outputs is None:
            return
        total = _total_loss(outputs)
        if total is None:
            return
        pending = self._pending
        pending.append((total, outputs, runner.iter + 1, runner.epoch, batch_idx))
        if len(pending) >= self.interval:
            self._check(runner)

    def before_save_checkpoint(self, runner: RunnerAPI, checkpoint: dict) -> None:
        self._check(runner)

    def after_train(self, runner: RunnerAPI) -> None:
        self._check(runner)

    def _check(self, runner: RunnerAPI) -> None:
        pending, self._pending = self._pending, []
        if not pending:
            return
        if len(pending) == 1:
            total = pending[0][0]
            # one number: .item() is far cheaper than isfinite().all() on the CPU
            if total.dim() == 0 and math.isfinite(total.item()):
                return
            finite = torch.isfinite(total.detach().float().sum()).reshape(1)
        else:
            with torch.no_grad():
                totals = [p[0] for p in pending]
                dtype = totals[0].dtype
                if not all(t.dim() == 0 and t.dtype == dtype for t in totals):
                    totals = [t.float().sum() for t in totals]
                finite = torch.isfinite(torch.stack(totals))  # one op for the whole window
            if bool(finite.all()):
                return
        first = int((~finite).nonzero()[0, 0])
        _, outputs, done, epoch, batch_idx = pending[first]
        raise InvalidLossError(_message(runner, outputs, done, epoch, batch_idx))

    def __repr__(self) -> str:
        return f"CheckInvalidLossHook(interval={self.interval})"


def _total_loss(outputs: Any) -> Any:
    if isinstance(outputs, torch.Tensor):
        return outputs
    if type(outputs) is not dict and not isinstance(outputs, Mapping):
        return None
    total = outputs.get("loss")
    if isinstance(total, torch.Tensor):
        return total
    terms = [v for k, v in outputs.items() if "loss" in k and isinstance(v, torch.Tensor)]
    if not terms:
        return None
    return torch.stack([t.detach().float().sum() for t in terms])


def _describe(value: Any) -> str:
    try:
        number = float(value.detach().float().sum()) if hasattr(value, "detach") else float(value)
    except (TypeError, ValueError, RuntimeError):
        return repr(value)
    return "nan" if math.isnan(number) else str(number)


def _message(runner: RunnerAPI, outputs: Any, done: int, epoch: int, batch_idx: int) -> str:
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
    try:
        from runner_core.checkpoint import read_pointer

        latest = read_pointer(runner.work_dir)
        if latest is not None:
            saved = f" The newest checkpoint, {latest}, was saved before this and is intact."
    except Exception:  # the message must not fail because of the pointer file
        saved = ""
    return (
        f"Training stopped at iteration {done} (epoch {epoch + 1}, batch {batch_idx + 1}): "
        f"{noun} {terms} is not finite (NaN or infinite).{saved} Common causes: a learning "
        "rate too high for this model (lower it, or add a warm-up scheduler), gradients that "
        "explode (set optim_wrapper=dict(clip_grad=dict(max_norm=...))), fp16 overflow, or bad "
        "input data (a NaN in the batch). To continue anyway, remove this check with "
        "default_hooks=dict(check_invalid_loss=None)."
    )
