"""``ReduceOnPlateauParamScheduler``: lower a parameter when a validation metric stalls.

Unlike the other schedulers it is driven by metrics, not by the step count,
so it does its own set-up instead of the base class's first ``step()``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import (
    BuildAssertionError,
    BuildError,
    BuildValueError,
    ConfigKeyError,
    did_you_mean,
    suggestion,
)
from .base import _ParamScheduler, common_arguments, per_group, scheduled_groups


def _monitor_hint(monitor: Any, metrics: Mapping[str, Any]) -> str:
    """`` Did you mean ...?`` for a monitor, also matched against the parts of
    ``'prefix/name'`` metric keys: ``'acc'`` finds ``'accuracy/top1'``, ``'top-1'``
    finds ``'accuracy/top1'``, where the whole keys are too far apart."""
    hint = did_you_mean(str(monitor), metrics)
    if hint:
        return hint
    word = str(monitor).rsplit("/", 1)[-1].lower()
    scores: dict[str, float] = {}
    for key in map(str, metrics):
        for part in {key.split("/", 1)[0].lower(), key.rsplit("/", 1)[-1].lower()}:
            score = 1.0 if len(word) >= 2 and part.startswith(word) else _ratio(word, part)
            if score >= 0.6:
                scores[key] = max(score, scores.get(key, 0.0))
    return suggestion(sorted(scores, key=lambda key: (-scores[key], key))[:3])


def _ratio(a: str, b: str) -> float:
    import difflib

    return difflib.SequenceMatcher(None, a, b).ratio()


class ReduceOnPlateauParamScheduler(_ParamScheduler):
    """Multiply by ``factor`` when the monitored validation metric stops improving.

    ``step()`` without metrics only counts steps (the hook calls it like any
    other scheduler); ``step(metrics)`` after validation reads
    ``metrics[monitor]``. ``rule='less'`` for losses, ``'greater'`` for accuracies.
    """

    need_val_args = True
    progress_keys = (
        *_ParamScheduler.progress_keys,
        "best",
        "num_bad_epochs",
        "cooldown_counter",
    )

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        monitor: str = "loss",
        rule: str = "less",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_rule: str = "rel",
        cooldown: int = 0,
        min_value: float | Sequence[float] = 0.0,
        eps: float = 1e-8,
        **common: Any,
    ) -> None:
        cls_name = type(self).__name__
        begin, end, last_step, by_epoch, verbose = common_arguments(common).values()
        groups = scheduled_groups(optimizer)
        self.optimizer = optimizer
        self.param_name = param_name
        if end <= begin:
            raise BuildValueError(f"{cls_name} needs end > begin, got begin={begin}, end={end}.")
        self.begin, self.end, self.by_epoch = begin, end, by_epoch
        if factor >= 1.0:
            raise BuildValueError(f"{cls_name} needs factor < 1.0, got {factor}.")
        if rule not in ("less", "greater"):
            raise BuildValueError(
                f"{cls_name} needs rule 'less' or 'greater', got {rule!r}."
                + did_you_mean(str(rule), ("less", "greater"))
            )
        if threshold < 0:
            raise BuildValueError(f"{cls_name} needs threshold >= 0, got {threshold}.")
        if threshold_rule not in ("rel", "abs"):
            raise BuildValueError(
                f"{cls_name} needs threshold_rule 'rel' or 'abs', got {threshold_rule!r}."
            )
        for i, group in enumerate(groups):
            if param_name not in group:
                raise BuildError(
                    f"{cls_name} schedules {param_name!r}, but param group {i} has no such key."
                )
        self.min_values = per_group(min_value, optimizer, "min_value", cls_name)
        self.monitor = monitor
        self.rule = rule
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.threshold_rule = threshold_rule
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.eps = eps
        self.best = math.inf if rule == "less" else -math.inf
        self.num_bad_epochs = 0
        if not isinstance(last_step, int) or last_step < -1:
            raise BuildAssertionError(  # MMEngine asserts it
                f"{cls_name} needs last_step as an int >= -1 (-1 for a fresh schedule), "
                f"got {last_step!r}."
            )
        initial_key = f"initial_{param_name}"  # as every scheduler records it (MMEngine's)
        for i, group in enumerate(groups):
            if last_step == -1:
                group.setdefault(initial_key, group[param_name])
            elif initial_key not in group:
                raise KeyError(
                    f"param group {i} has no {initial_key!r}, needed to resume {cls_name} "
                    f"with last_step={last_step}; load the optimizer state first."
                )
        self.last_step = last_step  # counts the judged validations: 0 after the first
        self._global_step = 0
        self.verbose = verbose
        self._last_value = [group[param_name] for group in groups]

    def _is_better(self, value: float, best: float) -> bool:
        if self.rule == "less":
            if self.threshold_rule == "rel":
                return value < best * (1.0 - self.threshold)
            return value < best - self.threshold
        if self.threshold_rule == "rel":
            return value > best * (self.threshold + 1.0)
        return value > best + self.threshold

    def step(self, metrics: Mapping[str, Any] | None = None) -> None:
        """Count a step (no metrics) or judge the validation ``metrics``."""
        if metrics is None:
            self._global_step += 1
            return
        if not isinstance(metrics, Mapping):
            raise TypeError(
                f"{type(self).__name__}.step() takes the validation metrics dict, got "
                f"{type(metrics).__name__}."
            )
        groups = scheduled_groups(self.optimizer)
        name = self.param_name
        if self.begin <= self._global_step < self.end:
            if self.monitor not in metrics:
                # the config's monitor is wrong: an input error, a KeyError as MMEngine's
                raise ConfigKeyError(
                    f"{type(self).__name__} monitors {self.monitor!r}, which the validation "
                    f"metrics {list(metrics)} do not have.{_monitor_hint(self.monitor, metrics)} "
                    "Set its monitor= (in param_scheduler) to one of them."
                )
            self.last_step += 1
            current = float(metrics[self.monitor])
            if self._is_better(current, self.best):
                self.best = current
                self.num_bad_epochs = 0
            else:
                self.num_bad_epochs += 1
            if self.cooldown_counter > 0:
                self.cooldown_counter -= 1
                self.num_bad_epochs = 0
            if self.num_bad_epochs > self.patience:
                for i, (group, min_value) in enumerate(zip(groups, self.min_values)):
                    old = float(group[name])
                    new = max(old * self.factor, min_value)
                    if old - new > self.eps:
                        group[name] = new
                        self.print_value(self.verbose, i, new)
                self.cooldown_counter = self.cooldown
                self.num_bad_epochs = 0
        self._last_value = [group[name] for group in groups]

    def print_value(self, is_verbose: bool, group: int, value: Any) -> None:
        """Log a lowered value when ``is_verbose``, with the epoch or iteration, as MMEngine does."""
        if is_verbose:
            from ...logging import print_log

            unit = "epoch" if self.by_epoch else "iter"
            print_log(
                f"Adjusting parameter value of group {group} to {value:.4e} "
                f"in {unit} {self.last_step}.",
                "current",
            )

    def _get_value(self) -> list[Any]:
        return [
            max(group[self.param_name] * self.factor, m)
            for group, m in zip(scheduled_groups(self.optimizer), self.min_values)
        ]
