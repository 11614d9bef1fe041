"""``EarlyStoppingHook``: stop training when a validation metric stops improving."""

from __future__ import annotations

import math
import warnings
from typing import Any

from runner_core.contract import RunnerAPI
from runner_core.errors import ConfigError, HookError, did_you_mean
from runner_core.hooks import Hook, Priority

_GREATER_HINTS = ("acc", "top", "ar@", "auc", "precision", "map", "mdice", "miou", "macc", "f1")
_LESS_HINTS = ("loss", "error", "err", "mse", "mae", "rmse", "perplexity")


def infer_rule(monitor: str) -> str:
    """``'greater'`` for accuracy-like names, ``'less'`` for loss-like ones."""
    name = monitor.lower()
    if any(h in name for h in _GREATER_HINTS):
        return "greater"
    if any(h in name for h in _LESS_HINTS):
        return "less"
    raise ConfigError(
        f"EarlyStoppingHook cannot tell whether {monitor!r} should grow or shrink: "
        "set rule='greater' (accuracy-like) or rule='less' (loss-like)."
    )


class EarlyStoppingHook(Hook):
    """Stop training after ``patience`` validations without improvement.

    Args:
        monitor: the metric key to watch (``'accuracy/top1'``).
        rule: ``'greater'`` or ``'less'``; None infers it from the name.
        min_delta: the smallest change that counts as an improvement (0.1, MMEngine's
            default, made for percentages; Lightning's is 0.0: give a smaller one for a
            metric between 0 and 1). A score of exactly best + ``min_delta`` counts as an
            improvement (MMEngine's rule), so with ``min_delta=0`` a plateau of equal
            scores never stops training; Lightning counts such a tie as no improvement:
            for its ``min_delta=0.0`` give a tiny positive value here (``1e-6``).
        strict: a missing ``monitor`` key is an error (else a warning).
        check_finite: stop when the metric becomes NaN or infinite.
        patience: validations without improvement before stopping.
        stopping_threshold: stop as soon as the metric is better than this value.

    The best score, the count of validations without improvement and the
    decision to stop are saved in checkpoints, so a resumed run stops where
    the full run would, and resuming a run that already stopped early ends it
    at once, like resuming a finished run (MMEngine trains on).
    """

    priority: int | str = Priority.LOWEST

    def __init__(
        self,
        monitor: str,
        rule: str | None = None,
        min_delta: float = 0.1,
        strict: bool = False,
        check_finite: bool = True,
        patience: int = 5,
        stopping_threshold: float | None = None,
    ) -> None:
        if rule is None:
            rule = infer_rule(monitor)
        if rule not in ("greater", "less"):
            raise ConfigError(
                f"EarlyStoppingHook rule must be 'greater' or 'less', got {rule!r}."
                + did_you_mean(str(rule), ("greater", "less"))
            )
        from runner_core.value_checks import check_number

        # patience=0 stops at the first validation without improvement, as 1 does (MMEngine)
        patience = check_number(patience, "EarlyStoppingHook patience", minimum=0, integer=True)
        check_number(min_delta, "EarlyStoppingHook min_delta", example="min_delta=0.1")
        if stopping_threshold is not None:
            check_number(stopping_threshold, "EarlyStoppingHook stopping_threshold")
        self.monitor = monitor
        self.rule = rule
        self.min_delta = float(min_delta)  # signed, as MMEngine's: < 0 tolerates a small drop
        self.strict = strict
        self.check_finite = check_finite
        self.patience = patience
        self.stopping_threshold = stopping_threshold
        self.best_score = -math.inf if rule == "greater" else math.inf
        self.wait_count = 0
        #: where and why this run was stopped (``{'epoch', 'iter', 'reason'}``), else None
        self.stopped: dict[str, Any] | None = None
        self._training = False

    def before_train(self, runner: RunnerAPI) -> None:
        self._training = True
        if not hasattr(runner.train_loop, "stop_training"):
            warnings.warn(
                f"EarlyStoppingHook: the train loop {type(runner.train_loop).__name__} has no "
                "stop_training flag, so it cannot be stopped early.",
                stacklevel=1,  # this hook's line: the caller is the generated hook point
            )
        elif self.stopped is not None:  # resumed from the checkpoint of a run that stopped early
            runner.train_loop.stop_training = True
            by_epoch = getattr(runner.train_loop, "by_epoch", True) is not False
            where = (
                f"epoch {self.stopped['epoch']}"
                if by_epoch
                else f"iteration {self.stopped['iter']}"
            )
            runner.logger.info(
                "Not training: this run had stopped early after %s (%s), so resuming it ends "
                "at once. To train further, start a new run with load_from= this checkpoint.",
                where,
                self.stopped["reason"],
            )

    def after_train(self, runner: RunnerAPI) -> None:
        self._training = False

    def on_exception(self, runner: RunnerAPI, exception: BaseException) -> None:
        """A training run that failed is no longer training: a ``val()`` called after it
        must not count against the patience, nor stop the next ``train()``."""
        self._training = False

    def _better(self, value: float, than: float) -> bool:
        return value > than if self.rule == "greater" else value < than

    def after_val_epoch(self, runner: RunnerAPI, metrics: dict[str, Any] | None = None) -> None:
        if not self._training:
            return
        metrics = metrics or {}
        if self.monitor not in metrics:
            message = (
                f"EarlyStoppingHook monitors {self.monitor!r}, which the validation metrics "
                f"{sorted(metrics)} do not have.{did_you_mean(self.monitor, metrics)}"
            )
            if self.strict:
                raise HookError(message + " Set monitor= to one of them.")
            warnings.warn(message + " Early stopping is skipped.", stacklevel=1)  # as above
            return
        value = metrics[self.monitor]
        current = float(value.item() if hasattr(value, "item") else value)
        reason = None
        if self.check_finite and not math.isfinite(current):
            reason = f"{self.monitor} is {current}, not a finite number"
        elif self.stopping_threshold is not None and self._better(
            current, self.stopping_threshold
        ):  # strictly past it, as MMEngine
            reason = f"{self.monitor} passed the stopping threshold {self.stopping_threshold}"
        else:
            # MMEngine's rule: only falling short of best + min_delta counts against it
            # (with min_delta=0 a tie with the best keeps the run going)
            improved = (
                current >= self.best_score + self.min_delta
                if self.rule == "greater"
                else current <= self.best_score - self.min_delta
            )
            if improved:
                self.best_score = current
                self.wait_count = 0
            else:
                self.wait_count += 1
                if self.wait_count >= self.patience:
                    reason = (
                        f"{self.monitor} did not improve by {self.min_delta} or more on "
                        f"{self.best_score:.4f} in the last {self.wait_count} validations"
                    )
        if reason is not None:
            runner.train_loop.stop_training = True
            self.stopped = {"epoch": runner.epoch, "iter": runner.iter, "reason": reason}
            by_epoch = getattr(runner.train_loop, "by_epoch", True) is not False
            where = f"epoch {runner.epoch}" if by_epoch else f"iteration {runner.iter}"
            runner.logger.info("Early stopping after %s: %s.", where, reason)  # as the log counts

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "best_score": float(self.best_score),
            "wait_count": int(self.wait_count),
        }
        if self.stopped is not None:  # only then: checkpoints of running runs stay as they were
            state["stopped"] = dict(self.stopped)
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best_score = float(state.get("best_score", self.best_score))
        self.wait_count = int(state.get("wait_count", 0))
        stopped = state.get("stopped")
        self.stopped = dict(stopped) if isinstance(stopped, dict) else None

    def __repr__(self) -> str:
        return (
            f"EarlyStoppingHook(monitor={self.monitor!r}, rule={self.rule!r}, "
            f"patience={self.patience}, min_delta={self.min_delta})"
        )
