"""Parameter schedulers: change any optimizer hyper-parameter over steps.

Semantics are MMEngine's, so MMEngine configs give the same values: a
scheduler is active on the steps ``begin <= step < end`` of its own counter
(epochs when ``by_epoch`` else iterations), values are computed in the
chainable (recursive) form wherever torch does so too, which lets several
schedulers act on one parameter (a warm-up overlapping a decay), and the
formulas are written like torch's ``lr_scheduler`` so that, where both have
the same schedule, the values are bit-equal.

A scheduler created without an optimizer (``MultiStepLR(milestones=[80, 90])``,
as in the Runner guide) is *unbound*: it only records its arguments, and
``build_param_schedulers`` binds it to the Runner's optim wrapper.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, cast

from ...errors import BuildError, BuildValueError, did_you_mean
from .step_order import count_optimizer_steps, warn_if_stepped_first

INF = int(1e9)


def param_groups_of(optimizer: Any) -> list[dict[str, Any]]:
    """The ``param_groups`` of a torch optimizer or an OptimWrapper, with a clear error."""
    from ..optim_wrapper_dict import OptimWrapperDict

    if isinstance(optimizer, OptimWrapperDict):
        raise BuildError(
            "A parameter scheduler drives one optimizer, got an OptimWrapperDict "
            f"({list(optimizer.keys())}); pass optim_wrapper['<name>'], or give "
            "build_param_schedulers a dict of scheduler configs keyed by those names."
        )
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, list):
        raise BuildError(
            "A parameter scheduler needs a torch.optim.Optimizer or an OptimWrapper, got "
            f"{type(optimizer).__name__}."
        )
    return groups


def _scale_steps(value: Any, epoch_length: int) -> Any:
    """An epoch count (or a list of them) as an iteration count."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [v * epoch_length for v in value]
    return value * epoch_length


class _SchedulerMeta(type):
    """Let ``Scheduler(...)`` without an optimizer make an unbound scheduler."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        optimizer = args[0] if args else kwargs.get("optimizer")
        if optimizer is None:
            return cast("type[_ParamScheduler]", cls)._make_unbound(
                args[1:], {k: v for k, v in kwargs.items() if k != "optimizer"}
            )
        return super().__call__(*args, **kwargs)


class _ParamScheduler(metaclass=_SchedulerMeta):
    """Base class: set ``param_groups[i][param_name]`` on each ``step()``.

    Args:
        optimizer: a ``torch.optim.Optimizer`` or an ``OptimWrapper``.
        param_name: the param-group key to schedule (``'lr'``, ``'momentum'``,
            ``'weight_decay'``, ...).
        begin: first step (of this scheduler's own step counter) it acts on.
        end: first step it no longer acts on (exclusive).
        last_step: the index of the last step, for resuming without a state dict.
        by_epoch: stepped once per epoch (True) or once per iteration (False).
        verbose: print each new value.
    """

    need_val_args = False
    # Arguments counted in steps, multiplied by the epoch length by
    # ``build_iter_from_epoch`` (begin and end always are).
    _step_count_args: tuple[str, ...] = ()
    _unbound: dict[str, Any] | None = None
    __signature__: ClassVar[inspect.Signature]  # set by __init_subclass__

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        groups = param_groups_of(optimizer)
        self.optimizer = optimizer
        self.param_name = param_name
        if end <= begin:
            raise BuildValueError(
                f"{type(self).__name__} needs end > begin, got begin={begin}, end={end}."
            )
        self.begin = begin
        self.end = end
        self.by_epoch = by_epoch
        if not isinstance(last_step, int) or last_step < -1:
            raise BuildValueError(f"last_step must be an int >= -1, got {last_step!r}.")
        initial_key = f"initial_{param_name}"
        if last_step == -1:
            for i, group in enumerate(groups):
                if param_name not in group:
                    keys = [k for k in group if k != "params"]
                    raise BuildError(
                        f"{type(self).__name__} schedules {param_name!r}, but param group {i} of "
                        f"the optimizer has no such key (it has {keys}).{did_you_mean(param_name, keys)}"
                    )
                group.setdefault(initial_key, group[param_name])
        else:
            for i, group in enumerate(groups):
                if initial_key not in group:
                    raise KeyError(
                        f"param group {i} has no {initial_key!r}, needed to resume "
                        f"{type(self).__name__} with last_step={last_step}; load the optimizer "
                        "state first."
                    )
        self.base_values = [group[initial_key] for group in groups]
        self.last_step = last_step
        count_optimizer_steps(optimizer)
        self._global_step = -1
        self.verbose = verbose
        self.step()

    # -- unbound schedulers ---------------------------------------------------
    @classmethod
    def _make_unbound(cls, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _ParamScheduler:
        kwargs = dict(kwargs)
        convert = kwargs.pop("convert_to_iter_based", None)
        try:
            bound = cls.__signature__.bind_partial(None, *args, **kwargs)
        except TypeError as exc:
            raise BuildError(
                f"{cls.__name__}: {exc}. Its arguments are {cls.__signature__}."
            ) from None
        arguments = dict(bound.arguments)
        arguments.pop("optimizer", None)
        if convert is not None:
            arguments["convert_to_iter_based"] = convert
        obj = cls.__new__(cls)
        obj._unbound = arguments
        default_by_epoch = cls.__signature__.parameters.get("by_epoch")
        obj.by_epoch = arguments.get(
            "by_epoch", default_by_epoch.default if default_by_epoch is not None else True
        )
        return obj

    @property
    def is_bound(self) -> bool:
        """False for a scheduler made without an optimizer (see the module docstring)."""
        return self._unbound is None

    def unbound_cfg(self) -> dict[str, Any]:
        """The config an unbound scheduler stands for: ``dict(type=cls, **arguments)``."""
        if self._unbound is None:
            raise RuntimeError(f"{type(self).__name__} is already bound to an optimizer.")
        return {"type": type(self), **self._unbound}

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes that do not exist: on an unbound
        # scheduler, say why instead of a bare AttributeError.
        if not name.startswith("__") and self.__dict__.get("_unbound") is not None:
            raise RuntimeError(
                f"{type(self).__name__} was created without an optimizer, so it cannot "
                f"{name!r} yet. Give it to the Runner (param_scheduler=...) or bind it with "
                "build_param_schedulers(scheduler, optim_wrapper)."
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # -- conversion -----------------------------------------------------------
    @classmethod
    def build_iter_from_epoch(
        cls,
        *args: Any,
        begin: int | float = 0,
        end: int | float = INF,
        by_epoch: bool = True,
        epoch_length: int | None = None,
        **kwargs: Any,
    ) -> _ParamScheduler:
        """Build an iteration-based scheduler from epoch-based arguments.

        ``begin``, ``end`` and the arguments counted in epochs (``step_size``,
        ``milestones``, ``T_max``, ``periods``, ``total_steps``) are multiplied by
        ``epoch_length`` (the number of iterations per epoch).
        """
        if not by_epoch:
            raise BuildError(
                f"{cls.__name__}: convert_to_iter_based=True converts an epoch-based schedule; "
                "it got by_epoch=False. Drop one of the two."
            )
        if not isinstance(epoch_length, int) or epoch_length <= 0:
            raise BuildError(
                f"{cls.__name__}.build_iter_from_epoch needs epoch_length, the number of "
                f"iterations per epoch, as a positive int; got {epoch_length!r}."
            )
        bound = cls.__signature__.bind_partial(*args, **kwargs)
        arguments = dict(bound.arguments)
        for name in cls._step_count_args:
            if name in arguments:
                arguments[name] = _scale_steps(arguments[name], epoch_length)
        arguments["begin"] = int(begin * epoch_length)
        arguments["end"] = end if end == INF else int(end * epoch_length)
        arguments["by_epoch"] = False
        return cls(**arguments)

    # -- stepping -------------------------------------------------------------
    def _get_value(self) -> list[Any]:
        """The new values, one per param group (chainable form)."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one step and set the new values inside ``[begin, end)``."""
        if self._global_step == 0:  # the first step after the one __init__ takes
            warn_if_stepped_first(self, self.optimizer)
        self._global_step += 1
        groups = self.optimizer.param_groups
        name = self.param_name
        if self.begin <= self._global_step < self.end:
            self.last_step += 1
            values = self._get_value()
            for i, (group, value) in enumerate(zip(groups, values)):
                group[name] = value
                if self.verbose:
                    print(f"{type(self).__name__}: set {name} of param group {i} to {value:.4e}.")
        self._last_value = [group[name] for group in groups]

    def get_last_value(self) -> list[Any]:
        """The values of the last step, one per param group."""
        return self._last_value

    # -- checkpoints ----------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (plain Python values only)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        self.__dict__.update({k: v for k, v in state_dict.items() if k != "optimizer"})

    def __repr__(self) -> str:
        if self._unbound is not None:
            args = ", ".join(f"{k}={v!r}" for k, v in self._unbound.items())
            return f"{type(self).__name__}({args}) [unbound]"
        return (
            f"{type(self).__name__}(param_name={self.param_name!r}, begin={self.begin}, "
            f"end={self.end}, by_epoch={self.by_epoch})"
        )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.__signature__ = _public_signature(cls)


def _public_signature(cls: type) -> inspect.Signature:
    """The constructor signature users see (and the registry checks configs against).

    Classes whose ``__init__`` fixes ``param_name`` (the ``*LR`` / ``*Momentum``
    variants) show their generic parent's arguments without ``param_name``.
    """
    fixed = getattr(cls, "_fixed_param_name", None)
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = list(inspect.signature(init).parameters.values())[1:]
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
            continue
        if fixed is not None:
            params = [p for p in params if p.name != "param_name"]
        return inspect.Signature(params)
    raise TypeError(f"cannot work out the signature of {cls.__name__}")


_ParamScheduler.__signature__ = _public_signature(_ParamScheduler)


class ConstantParamScheduler(_ParamScheduler):
    """Multiply by ``factor`` on ``[begin, end - 1)``, restore at step ``end - 1``."""

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        factor: float = 1.0 / 3,
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        if not 0 < factor <= 1.0:
            raise BuildValueError(
                f"{type(self).__name__} needs 0 < factor <= 1, got factor={factor}."
            )
        self.factor = factor
        self.total_iters = end - begin - 1
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    def _get_value(self) -> list[Any]:
        groups = self.optimizer.param_groups
        name = self.param_name
        if self.last_step == 0:
            return [group[name] * self.factor for group in groups]
        if self.last_step != self.total_iters:
            return [group[name] for group in groups]
        return [group[name] * (1.0 / self.factor) for group in groups]


class LinearParamScheduler(_ParamScheduler):
    """Scale linearly from ``start_factor`` (step 0) to ``end_factor`` (step ``end - begin - 1``)."""

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        for arg, value in (("start_factor", start_factor), ("end_factor", end_factor)):
            if not 0 <= value <= 1.0:
                raise BuildValueError(
                    f"{type(self).__name__} needs 0 <= {arg} <= 1, got {arg}={value}."
                )
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = end - begin - 1
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    def _get_value(self) -> list[Any]:
        groups = self.optimizer.param_groups
        name = self.param_name
        if self.last_step == 0:
            return [group[name] * self.start_factor for group in groups]
        if self.last_step > self.total_iters:
            return [group[name] for group in groups]
        delta = self.end_factor - self.start_factor
        previous = self.total_iters * self.start_factor + (self.last_step - 1) * delta
        if previous == 0:  # start_factor=0: the value is 0, no ratio can scale it up
            current = self.start_factor + delta * self.last_step / self.total_iters
            return [base * current for base in self.base_values]
        factor = 1.0 + delta / previous
        return [group[name] * factor for group in groups]


class StepParamScheduler(_ParamScheduler):
    """Multiply by ``gamma`` every ``step_size`` steps."""

    _step_count_args = ("step_size",)

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        step_size: int,
        gamma: float = 0.1,
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        if step_size <= 0:
            raise BuildValueError(f"{type(self).__name__} needs step_size > 0, got {step_size}.")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    def _get_value(self) -> list[Any]:
        groups = self.optimizer.param_groups
        name = self.param_name
        if self.last_step == 0 or self.last_step % self.step_size != 0:
            return [group[name] for group in groups]
        return [group[name] * self.gamma for group in groups]


class MultiStepParamScheduler(_ParamScheduler):
    """Multiply by ``gamma`` at each milestone (``gamma**k`` for a milestone listed k times)."""

    _step_count_args = ("milestones",)

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        milestones: Sequence[int],
        gamma: float = 0.1,
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        if isinstance(milestones, (int, float)) or not isinstance(milestones, (Sequence, set)):
            raise BuildError(
                f"{type(self).__name__} needs milestones as a list of steps, got {milestones!r}."
            )
        counts: dict[int, int] = {}
        for m in milestones:
            counts[m] = counts.get(m, 0) + 1
        self.milestones = counts  # a plain dict, so checkpoints stay weights_only-loadable
        self.gamma = gamma
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    def _get_value(self) -> list[Any]:
        groups = self.optimizer.param_groups
        name = self.param_name
        if self.last_step not in self.milestones:
            return [group[name] for group in groups]
        return [group[name] * self.gamma ** self.milestones[self.last_step] for group in groups]


class ExponentialParamScheduler(_ParamScheduler):
    """Multiply by ``gamma`` every step."""

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        gamma: float,
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        self.gamma = gamma
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    def _get_value(self) -> list[Any]:
        groups = self.optimizer.param_groups
        name = self.param_name
        if self.last_step == 0:
            return [group[name] for group in groups]
        return [group[name] * self.gamma for group in groups]


def _check_eta_min(cls_name: str, eta_min: Any, eta_min_ratio: Any) -> Any:
    if eta_min is not None and eta_min_ratio is not None:
        raise BuildError(
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
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
        eta_min_ratio: float | None = None,
    ) -> None:
        self.eta_min = _check_eta_min(type(self).__name__, eta_min, eta_min_ratio)
        self.eta_min_ratio = eta_min_ratio
        self.T_max = T_max or (end - begin)
        if self.T_max <= 0:
            raise BuildValueError(f"{type(self).__name__} needs T_max > 0, got {T_max}.")
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    def _eta_mins(self) -> list[Any]:
        if self.eta_min_ratio is None:
            return [self.eta_min] * len(self.base_values)
        return [base * self.eta_min_ratio for base in self.base_values]

    def _get_value(self) -> list[Any]:
        groups = self.optimizer.param_groups
        name = self.param_name
        t, t_max = self.last_step, self.T_max
        if t == 0:
            return [group[name] for group in groups]
        eta_mins = self._eta_mins()
        if (t - 1 - t_max) % (2 * t_max) == 0:
            return [
                group[name] + (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
                for base, eta_min, group in zip(self.base_values, eta_mins, groups)
            ]
        return [
            (1 + math.cos(math.pi * t / t_max))
            / (1 + math.cos(math.pi * (t - 1) / t_max))
            * (group[name] - eta_min)
            + eta_min
            for eta_min, group in zip(eta_mins, groups)
        ]


class PolyParamScheduler(_ParamScheduler):
    """Polynomial decay to ``eta_min`` at step ``end - begin - 1``."""

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        eta_min: float = 0,
        power: float = 1.0,
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        self.eta_min = eta_min
        self.power = power
        self.total_iters = end - begin - 1
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    def _get_value(self) -> list[Any]:
        groups = self.optimizer.param_groups
        name = self.param_name
        t, total = self.last_step, self.total_iters
        if t == 0 or t > total:
            return [group[name] for group in groups]
        # (total - t) / (total - t + 1), written as torch's PolynomialLR writes it.
        decay = ((1.0 - t / total) / (1.0 - (t - 1) / total)) ** self.power
        eta_min = self.eta_min
        return [(group[name] - eta_min) * decay + eta_min for group in groups]


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
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        cls_name = type(self).__name__
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise BuildValueError(
                    f"{cls_name} needs a positive int total_steps, got {total_steps!r}."
                )
            self.total_steps = total_steps
        else:
            self.total_steps = end - begin
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
        if three_phase:
            self._schedule_phases: list[dict[str, Any]] = [
                {"end_step": float(pct_start * total) - 1, "start": initial, "end": top},
                {"end_step": float(2 * pct_start * total) - 2, "start": top, "end": initial},
                {"end_step": total - 1, "start": initial, "end": low},
            ]
        else:
            self._schedule_phases = [
                {"end_step": float(pct_start * total) - 1, "start": initial, "end": top},
                {"end_step": total - 1, "start": top, "end": low},
            ]
        groups = param_groups_of(optimizer)
        if isinstance(eta_max, (list, tuple)):
            if len(eta_max) != len(groups):
                raise BuildValueError(
                    f"{cls_name} got {len(eta_max)} eta_max values for {len(groups)} param groups."
                )
            max_values = list(eta_max)
        else:
            max_values = [eta_max] * len(groups)
        if last_step == -1:
            for value, group in zip(max_values, groups):
                group[initial] = value / div_factor
                group[top] = value
                group[low] = group[initial] / final_div_factor
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    @staticmethod
    def _anneal(strategy: str, start: float, end: float, pct: float) -> float:
        if strategy == "cos":
            cos_out = math.cos(math.pi * pct) + 1
            return end + (start - end) / 2.0 * cos_out
        return (end - start) * pct + start

    def _get_value(self) -> list[Any]:
        step_num = self.last_step
        if step_num > self.total_steps:
            raise RuntimeError(
                f"{type(self).__name__} was stepped {step_num + 1} times, but total_steps is "
                f"{self.total_steps}; set total_steps (or end) to the length of training."
            )
        phases = self._schedule_phases
        values = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(phases):
                end_step = phase["end_step"]
                if step_num <= end_step or i == len(phases) - 1:
                    pct = (step_num - start_step) / (end_step - start_step)
                    values.append(
                        self._anneal(
                            self.anneal_strategy, group[phase["start"]], group[phase["end"]], pct
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
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        cls_name = type(self).__name__
        self.eta_min = _check_eta_min(cls_name, eta_min, eta_min_ratio)
        self.eta_min_ratio = eta_min_ratio
        self.periods = list(periods)
        self.restart_weights = list(restart_weights)
        if len(self.periods) != len(self.restart_weights):
            raise BuildValueError(
                f"{cls_name} needs one restart weight per period, got periods={self.periods} "
                f"and restart_weights={self.restart_weights}."
            )
        if any(p <= 0 for p in self.periods):
            raise BuildValueError(f"{cls_name} needs positive periods, got {self.periods}.")
        self.cumulative_periods = [sum(self.periods[: i + 1]) for i in range(len(self.periods))]
        super().__init__(optimizer, param_name, begin, end, last_step, by_epoch, verbose)

    def _get_value(self) -> list[Any]:
        groups = self.optimizer.param_groups
        name = self.param_name
        idx = next((i for i, c in enumerate(self.cumulative_periods) if self.last_step < c), None)
        if idx is None:  # past the last period: leave the value alone
            return [group[name] for group in groups]
        weight = self.restart_weights[idx]
        period = self.periods[idx]
        step = self.last_step - (self.cumulative_periods[idx - 1] if idx else 0)
        values = []
        for base, group in zip(self.base_values, groups):
            eta_min = self.eta_min if self.eta_min_ratio is None else base * self.eta_min_ratio
            if step == 0:
                values.append(base * weight)
            else:
                values.append(
                    (1 + math.cos(math.pi * step / period))
                    / (1 + math.cos(math.pi * (step - 1) / period))
                    * (group[name] - eta_min)
                    + eta_min
                )
        return values


class ReduceOnPlateauParamScheduler(_ParamScheduler):
    """Multiply by ``factor`` when the monitored validation metric stops improving.

    ``step()`` without metrics only counts steps (the hook calls it like any
    other scheduler); ``step(metrics)`` after validation reads
    ``metrics[monitor]``. ``rule='less'`` for losses, ``'greater'`` for accuracies.
    """

    need_val_args = True

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
        begin: int = 0,
        end: int = INF,
        last_step: int = -1,
        by_epoch: bool = True,
        verbose: bool = False,
    ) -> None:
        cls_name = type(self).__name__
        groups = param_groups_of(optimizer)
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
        if threshold_rule not in ("rel", "abs"):
            raise BuildValueError(
                f"{cls_name} needs threshold_rule 'rel' or 'abs', got {threshold_rule!r}."
            )
        for i, group in enumerate(groups):
            if param_name not in group:
                raise BuildError(
                    f"{cls_name} schedules {param_name!r}, but param group {i} has no such key."
                )
        if isinstance(min_value, (list, tuple)):
            if len(min_value) != len(groups):
                raise BuildValueError(
                    f"{cls_name} got {len(min_value)} min_value entries for {len(groups)} param groups."
                )
            self.min_values = list(min_value)
        else:
            self.min_values = [min_value] * len(groups)
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
        self.last_step = max(last_step, 0)
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
        groups = self.optimizer.param_groups
        name = self.param_name
        if self.begin <= self._global_step < self.end:
            if self.monitor not in metrics:
                raise KeyError(
                    f"{type(self).__name__} monitors {self.monitor!r}, which the validation "
                    f"metrics {list(metrics)} do not have.{did_you_mean(self.monitor, metrics)} "
                    "Set monitor= to one of them."
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
                        if self.verbose:
                            print(
                                f"{type(self).__name__}: set {name} of param group {i} to {new:.4e}."
                            )
                self.cooldown_counter = self.cooldown
                self.num_bad_epochs = 0
        self._last_value = [group[name] for group in groups]

    def _get_value(self) -> list[Any]:
        return [
            max(group[self.param_name] * self.factor, m)
            for group, m in zip(self.optimizer.param_groups, self.min_values)
        ]
