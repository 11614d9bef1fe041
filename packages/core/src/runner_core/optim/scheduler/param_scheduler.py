"""The generic parameter schedulers: one per schedule shape, on any ``param_name``.

Semantics and values are MMEngine's, bit for bit (see :mod:`.base`). Each class
names only its own arguments; the common ones (``begin``, ``end``,
``last_step``, ``by_epoch``, ``verbose``) arrive as ``**common`` and still
show in its signature (``_ParamScheduler.__init_subclass__``). The ``*LR`` and
``*Momentum`` families are generated from these in :mod:`.lr_scheduler` and
:mod:`.momentum_scheduler`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import BuildAssertionError, BuildError, BuildValueError, ConfigError, did_you_mean
from .base import (
    INF,
    _ParamScheduler,
    common_arguments,
    param_groups_of,
    per_group,
    scheduled_groups,
    span,
)
from .plateau import ReduceOnPlateauParamScheduler

__all__ = [
    "INF",
    "ConstantParamScheduler",
    "CosineAnnealingParamScheduler",
    "CosineRestartParamScheduler",
    "ExponentialParamScheduler",
    "LinearParamScheduler",
    "MultiStepParamScheduler",
    "OneCycleParamScheduler",
    "PolyParamScheduler",
    "ReduceOnPlateauParamScheduler",
    "StepParamScheduler",
    "param_groups_of",
]


class ConstantParamScheduler(_ParamScheduler):
    """Multiply by ``factor`` on ``[begin, end - 1)``, restore at step ``end - 1``."""

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        factor: float = 1.0 / 3,
        **common: Any,
    ) -> None:
        if not 0 < factor <= 1.0:
            raise BuildValueError(
                f"{type(self).__name__} needs 0 < factor <= 1, got factor={factor}."
            )
        self.factor = factor
        self.total_iters = span(common) - 1
        super().__init__(optimizer, param_name, **common)

    def _get_value(self) -> list[Any]:
        if self.last_step == 0:
            return self._scaled(self.factor)
        if self.last_step != self.total_iters:
            return self._current()
        return self._scaled(1.0 / self.factor)


class LinearParamScheduler(_ParamScheduler):
    """Scale linearly from ``start_factor`` (step 0) to ``end_factor`` (step ``end - begin - 1``)."""

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        **common: Any,
    ) -> None:
        for arg, value in (("start_factor", start_factor), ("end_factor", end_factor)):
            if not 0 <= value <= 1.0:
                raise BuildValueError(
                    f"{type(self).__name__} needs 0 <= {arg} <= 1, got {arg}={value}."
                )
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = span(common) - 1
        super().__init__(optimizer, param_name, **common)

    def _get_value(self) -> list[Any]:
        if self.last_step == 0:
            return self._scaled(self.start_factor)
        if self.last_step > self.total_iters:
            return self._current()
        delta = self.end_factor - self.start_factor
        previous = self.total_iters * self.start_factor + (self.last_step - 1) * delta
        if previous == 0:  # start_factor=0: the value is 0, no ratio can scale it up
            current = self.start_factor + delta * self.last_step / self.total_iters
            return [base * current for base in self.base_values]
        factor = 1.0 + delta / previous
        return self._scaled(factor)


class StepParamScheduler(_ParamScheduler):
    """Multiply by ``gamma`` every ``step_size`` steps."""

    values_follow_end = False  # counted from begin; the end only stops it

    _step_count_args = ("step_size",)

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        step_size: int,
        gamma: float = 0.1,
        **common: Any,
    ) -> None:
        if step_size <= 0:
            raise BuildValueError(f"{type(self).__name__} needs step_size > 0, got {step_size}.")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, param_name, **common)

    def _get_value(self) -> list[Any]:
        if self.last_step == 0 or self.last_step % self.step_size != 0:
            return self._current()
        return self._scaled(self.gamma)


class MultiStepParamScheduler(_ParamScheduler):
    """Multiply by ``gamma`` at each milestone (``gamma**k`` for a milestone listed k times)."""

    values_follow_end = False  # counted from begin; the end only stops it

    _step_count_args = ("milestones",)

    def __init__(  # MMEngine's order: last_step before begin and end, unlike the others
        self,
        optimizer: Any,
        param_name: str,
        milestones: Sequence[int],
        gamma: float = 0.1,
        last_step: int = -1,
        begin: int = 0,
        end: int = INF,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        counts: dict[int, int] = {}
        for m in _milestone_steps(type(self).__name__, milestones):
            counts[m] = counts.get(m, 0) + 1
        self.milestones = counts  # a plain dict, so checkpoints stay weights_only-loadable
        self.gamma = gamma
        super().__init__(
            optimizer,
            param_name,
            begin=begin,
            end=end,
            last_step=last_step,
            by_epoch=by_epoch,
            verbose=verbose,
        )

    def _get_value(self) -> list[Any]:
        if self.last_step not in self.milestones:
            return self._current()
        return self._scaled(self.gamma ** self.milestones[self.last_step])


def _milestone_steps(scheduler: str, milestones: Any) -> list[int]:
    """``milestones`` as whole-number steps, or a BuildError (a TypeError) naming them.

    A string is refused: ``--cfg-options param_scheduler.milestones=[8`` gives
    ``'[8'``, which no step equals, so the schedule would silently never decay.
    """
    steps = milestones if isinstance(milestones, (Sequence, set)) else None
    if steps is None or isinstance(milestones, (str, bytes)):
        raise BuildError(
            f"{scheduler} needs milestones as a list of steps (epochs, or iterations with "
            f"by_epoch=False), e.g. milestones=[8, 11]; got {milestones!r}."
        )
    bad = [m for m in steps if not _whole_number(m)]
    if bad:
        raise BuildError(
            f"{scheduler} milestones must be whole numbers of steps, e.g. milestones=[8, 11]; "
            f"got {milestones!r} (not a step: {', '.join(repr(m) for m in bad)})."
        )
    return [int(m) for m in steps]


def _whole_number(value: Any) -> bool:
    # a finite whole number (NaN and infinity are not integers)
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and float(value).is_integer()
    )


class ExponentialParamScheduler(_ParamScheduler):
    """Multiply by ``gamma`` every step."""

    values_follow_end = False  # counted from begin; the end only stops it

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        gamma: float,
        **common: Any,
    ) -> None:
        self.gamma = gamma
        super().__init__(optimizer, param_name, **common)

    def _get_value(self) -> list[Any]:
        if self.last_step == 0:
            return self._current()
        return self._scaled(self.gamma)


def _check_eta_min(cls_name: str, eta_min: Any, eta_min_ratio: Any) -> Any:
    if eta_min is not None and eta_min_ratio is not None:
        raise BuildAssertionError(
            f"{cls_name} got both eta_min={eta_min} and eta_min_ratio={eta_min_ratio}; give one."
        )
    if eta_min is None and eta_min_ratio is None:
        return 0.0
    return eta_min


class CosineAnnealingParamScheduler(_ParamScheduler):
    """Cosine from the initial value down to ``eta_min`` over ``T_max`` steps (SGDR without restarts).

    ``T_max`` defaults to ``end - begin``; ``eta_min_ratio`` gives the minimum as
    a fraction of each group's initial value instead of ``eta_min``.
    """

    _step_count_args = ("T_max",)

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        T_max: int | None = None,
        eta_min: float | None = None,
        *,
        eta_min_ratio: float | None = None,
        **common: Any,
    ) -> None:
        self.eta_min = _check_eta_min(type(self).__name__, eta_min, eta_min_ratio)
        self.eta_min_ratio = eta_min_ratio
        self.T_max = T_max or span(common)
        if self.T_max <= 0:
            given = common_arguments(common)
            raise BuildValueError(
                f"{type(self).__name__} needs T_max > 0 (0 or None: the scheduler's span), "
                f"got {T_max}."
                if T_max
                else f"{type(self).__name__} needs end > begin, got begin={given['begin']}, "
                f"end={given['end']} (T_max, not given, is end - begin)."
            )
        super().__init__(optimizer, param_name, **common)

    def _eta_mins(self) -> list[Any]:
        if self.eta_min_ratio is None:
            return [self.eta_min] * len(self.base_values)
        return [base * self.eta_min_ratio for base in self.base_values]

    def _get_value(self) -> list[Any]:
        t, t_max = self.last_step, self.T_max
        if t == 0:
            return self._current()
        eta_mins = self._eta_mins()
        if (t - 1 - t_max) % (2 * t_max) == 0:
            return [
                value + (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
                for base, eta_min, value in zip(self.base_values, eta_mins, self._current())
            ]
        return [
            (1 + math.cos(math.pi * t / t_max))
            / (1 + math.cos(math.pi * (t - 1) / t_max))
            * (value - eta_min)
            + eta_min
            for eta_min, value in zip(eta_mins, self._current())
        ]


class PolyParamScheduler(_ParamScheduler):
    """Polynomial decay to ``eta_min`` at step ``end - begin - 1``."""

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        eta_min: float = 0,
        power: float = 1.0,
        **common: Any,
    ) -> None:
        self.eta_min = eta_min
        self.power = power
        self.total_iters = span(common) - 1
        super().__init__(optimizer, param_name, **common)

    def _get_value(self) -> list[Any]:
        t, total = self.last_step, self.total_iters
        if t == 0 or t > total:
            return self._current()
        # (total - t) / (total - t + 1), written as MMEngine writes it so that MMEngine
        # configs give bit-equal values (torch's PolynomialLR form rounds differently).
        decay = (1 - 1 / (total - t + 1)) ** self.power
        eta_min = self.eta_min
        return [(value - eta_min) * decay + eta_min for value in self._current()]


class OneCycleParamScheduler(_ParamScheduler):
    """The 1cycle policy: up from ``eta_max / div_factor`` to ``eta_max``, then down to
    ``eta_max / div_factor / final_div_factor``, over ``total_steps`` (default
    ``end - begin``). Not chainable: it sets absolute values.
    """

    _step_count_args = ("total_steps",)

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        eta_max: float | Sequence[float] = 0,
        total_steps: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        **common: Any,
    ) -> None:
        cls_name = type(self).__name__
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise BuildValueError(
                    f"{cls_name} needs a positive int total_steps, got {total_steps!r}."
                )
            self.total_steps = total_steps
        else:
            self.total_steps = span(common)
        if not 0 <= pct_start <= 1:
            raise BuildValueError(f"{cls_name} needs 0 <= pct_start <= 1, got {pct_start}.")
        if anneal_strategy not in ("cos", "linear"):
            raise BuildValueError(
                f"{cls_name} needs anneal_strategy 'cos' or 'linear', got {anneal_strategy!r}."
                + did_you_mean(str(anneal_strategy), ("cos", "linear"))
            )
        self.anneal_strategy = anneal_strategy
        self.eta_max = eta_max
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor
        pct_start = float(pct_start)
        total = self.total_steps
        initial, top, low = f"initial_{param_name}", f"max_{param_name}", f"min_{param_name}"
        # MMEngine's keys ('start_lr'/'end_lr' whatever the parameter), so that checkpoints
        # resume across the two libraries
        if three_phase:
            self._schedule_phases: list[dict[str, Any]] = [
                {"end_step": float(pct_start * total) - 1, "start_lr": initial, "end_lr": top},
                {"end_step": float(2 * pct_start * total) - 2, "start_lr": top, "end_lr": initial},
                {"end_step": total - 1, "start_lr": initial, "end_lr": low},
            ]
        else:
            self._schedule_phases = [
                {"end_step": float(pct_start * total) - 1, "start_lr": initial, "end_lr": top},
                {"end_step": total - 1, "start_lr": top, "end_lr": low},
            ]
        groups = scheduled_groups(optimizer)
        max_values = per_group(eta_max, optimizer, "eta_max", cls_name)
        if common_arguments(common)["last_step"] == -1:
            for value, group in zip(max_values, groups):
                group[initial] = value / div_factor
                group[top] = value
                group[low] = group[initial] / final_div_factor
        super().__init__(optimizer, param_name, **common)

    @staticmethod
    def _anneal(strategy: str, start: float, end: float, pct: float) -> float:
        if strategy == "cos":
            cos_out = math.cos(math.pi * pct) + 1
            return end + (start - end) / 2.0 * cos_out
        return (end - start) * pct + start

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Also MMEngine's state (``anneal_func``) and runner's older phase keys."""
        state = dict(state_dict)
        func = state.pop("anneal_func", None)
        if "anneal_strategy" not in state and func is not None:
            # MMEngine's _annealing_cos / _annealing_linear (a stand-in without mmengine)
            name = getattr(func, "__name__", None) or repr(func)
            state["anneal_strategy"] = "linear" if "linear" in name else "cos"
        phases = state.get("_schedule_phases")
        if phases is not None:
            state["_schedule_phases"] = [
                {
                    "start_lr" if k == "start" else "end_lr" if k == "end" else k: v
                    for k, v in phase.items()
                }
                for phase in phases
            ]
        super().load_state_dict(state)

    def _get_value(self) -> list[Any]:
        step_num = self.last_step
        if step_num > self.total_steps:
            raise ConfigError(
                f"{type(self).__name__} was stepped {step_num + 1} times, but total_steps is "
                f"{self.total_steps}; set total_steps (or end) to the length of training."
            )
        phases = self._schedule_phases
        values = []
        for group in scheduled_groups(self.optimizer):
            start_step = 0.0
            for i, phase in enumerate(phases):
                end_step = phase["end_step"]
                if step_num <= end_step or i == len(phases) - 1:
                    pct = (step_num - start_step) / (end_step - start_step)
                    values.append(
                        self._anneal(
                            self.anneal_strategy,
                            group[phase["start_lr"]],
                            group[phase["end_lr"]],
                            pct,
                        )
                    )
                    break
                start_step = phase["end_step"]
        return values


class CosineRestartParamScheduler(_ParamScheduler):
    """Cosine annealing with restarts: period i lasts ``periods[i]`` steps and
    restarts from the initial value times ``restart_weights[i]``.
    """

    _step_count_args = ("periods",)

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        periods: Sequence[int],
        restart_weights: Sequence[float] = (1,),
        eta_min: float | None = None,
        eta_min_ratio: float | None = None,
        **common: Any,
    ) -> None:
        cls_name = type(self).__name__
        self.eta_min = _check_eta_min(cls_name, eta_min, eta_min_ratio)
        self.eta_min_ratio = eta_min_ratio
        self.periods = list(periods)
        self.restart_weights = list(restart_weights)
        if len(self.periods) != len(self.restart_weights):
            raise BuildAssertionError(
                f"{cls_name} needs one restart weight per period, got periods={self.periods} "
                f"and restart_weights={self.restart_weights}."
            )
        if any(p <= 0 for p in self.periods):
            raise BuildValueError(f"{cls_name} needs positive periods, got {self.periods}.")
        self.cumulative_periods = [sum(self.periods[: i + 1]) for i in range(len(self.periods))]
        super().__init__(optimizer, param_name, **common)

    @staticmethod
    def get_position_from_periods(iteration: int, cumulative_periods: list[int]) -> int | None:
        """The index of the first cumulative period end past ``iteration`` (None past the last).

        MMEngine's public helper: with ``cumulative_periods=[100, 200]``, 50 gives 0,
        100 gives 1 and 200 gives None.
        """
        return next((i for i, end in enumerate(cumulative_periods) if iteration < end), None)

    def _get_value(self) -> list[Any]:
        idx = self.get_position_from_periods(self.last_step, self.cumulative_periods)
        if idx is None:  # past the last period: leave the value alone
            return self._current()
        weight = self.restart_weights[idx]
        period = self.periods[idx]
        step = self.last_step - (self.cumulative_periods[idx - 1] if idx else 0)
        values = []
        for base, value in zip(self.base_values, self._current()):
            eta_min = self.eta_min if self.eta_min_ratio is None else base * self.eta_min_ratio
            if step == 0:
                values.append(base * weight)
            else:
                values.append(
                    (1 + math.cos(math.pi * step / period))
                    / (1 + math.cos(math.pi * (step - 1) / period))
                    * (value - eta_min)
                    + eta_min
                )
        return values
