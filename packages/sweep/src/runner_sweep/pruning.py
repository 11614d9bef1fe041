"""``TrialReportHook``: report each validation to the Optuna trial, stop a pruned trial cleanly.

A pruned trial is not an error: the hook sets the train loop's
``stop_training`` flag (as EarlyStoppingHook does), so the run ends after this
validation with its checkpoint and logs written, and the sweep then tells
Optuna the trial was pruned.

Pruning saves the rest of a trial's training; at the last validation of the
schedule there is nothing left to save, so a trial that trained to its end is
never pruned: it is COMPLETE with its final score, whatever the pruner says.
"""

from __future__ import annotations

from typing import Any

from runner_core.errors import ConfigError, did_you_mean
from runner_core.hooks import Hook


class TrialReportHook(Hook):
    """Report ``metric`` after every validation during training.

    Args:
        trial: the ``optuna.Trial`` of this run.
        metric: the validation metric key (None: the first key of the first validation).
    """

    priority = "LOW"

    def __init__(self, trial: Any, metric: str | None = None) -> None:
        self.trial = trial
        self.metric = metric
        self.values: list[float] = []
        self.pruned = False

    def after_val_epoch(self, runner: Any, metrics: dict[str, Any] | None = None) -> None:
        if not metrics or getattr(runner, "rank", 0) != 0:
            return
        if self.metric is None:
            self.metric = next(iter(metrics))
        if self.metric not in metrics:
            raise ConfigError(
                f"runner-cli sweep --metric {self.metric!r}: the validation metrics have no such "
                f"key.{did_you_mean(self.metric, list(metrics))} Metrics: {', '.join(metrics)}."
            )
        value = float(metrics[self.metric])
        self.values.append(value)
        step = len(self.values)
        self.trial.report(value, step)
        if self.trial.should_prune() and not training_finished(runner):
            self.pruned = True
            runner.logger.info(
                "Optuna pruned trial %d after validation %d (%s = %.4f): stopping this trial.",
                self.trial.number,
                step,
                self.metric,
                value,
            )
            loop = runner.train_loop
            if hasattr(loop, "stop_training"):
                loop.stop_training = True


def training_finished(runner: Any) -> bool:
    """Whether the train loop has done its whole schedule (this validation is its last)."""
    loop = getattr(runner, "train_loop", None)
    if loop is None:
        return False
    if getattr(loop, "by_epoch", True):
        done, last = getattr(loop, "epoch", 0), getattr(loop, "max_epochs", None)
    else:
        done, last = getattr(loop, "iter", 0), getattr(loop, "max_iters", None)
    return last is not None and done >= last
