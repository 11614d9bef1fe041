"""The parameter scheduler base class: change any optimizer hyper-parameter over steps.

Semantics are MMEngine's, so MMEngine configs give the same values: a
scheduler is active on the steps ``begin <= step < end`` of its own counter
(epochs when ``by_epoch`` else iterations), values are computed in the
chainable (recursive) form wherever torch does so too, which lets several
schedulers act on one parameter (a warm-up overlapping a decay), and the
formulas are written as MMEngine writes them, so the values are bit-equal to
MMEngine's (and to torch's ``lr_scheduler`` where torch has the same schedule
written the same way; ``PolyLR`` rounds as MMEngine's, not as ``PolynomialLR``).

A scheduler created without an optimizer (``MultiStepLR(milestones=[80, 90])``,
as in the Runner guide) is *unbound*: it only records its arguments, and
``build_param_schedulers`` binds it to the Runner's optim wrapper.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar, cast

from ...errors import (
    BuildAssertionError,
    BuildError,
    BuildKeyError,
    BuildValueError,
    NotBoundError,
    did_you_mean,
)
from .step_order import count_optimizer_steps, warn_if_stepped_first

INF = int(1e9)


def param_groups_of(optimizer: Any) -> list[dict[str, Any]]:
    """The ``param_groups`` of a torch optimizer or an OptimWrapper, with a clear error.

    Every scheduler step comes here: the list is returned first, the errors
    looked into only without one (an OptimWrapperDict's ``param_groups`` is a dict).
    """
    groups = getattr(optimizer, "param_groups", None)
    if type(groups) is list:
        return groups
    from ..optim_wrapper_dict import OptimWrapperDict

    if isinstance(optimizer, OptimWrapperDict):
        raise BuildError(
            "A parameter scheduler drives one optimizer, got an OptimWrapperDict "
            f"({list(optimizer.keys())}); pass optim_wrapper['<name>'], or give "
            "build_param_schedulers a dict of scheduler configs keyed by those names."
        )
    if not isinstance(groups, list):
        raise BuildAssertionError(
            "A parameter scheduler needs a torch.optim.Optimizer or an OptimWrapper, got "
            f"{type(optimizer).__name__}."
        )
    return groups


def _follow_group0(value0: Any, base_values: list[Any], current: Any) -> Any:
    """The base settings' value when group 0 goes to ``value0``: the same multiple of
    its initial value (``base_values[-1]``) as group 0's of its own; unchanged when
    group 0 started at 0."""
    try:
        return base_values[-1] * (value0 / base_values[0])
    except (ZeroDivisionError, TypeError):
        return current


def scheduled_groups(optimizer: Any) -> list[dict[str, Any]]:
    """The groups a scheduler moves: the optimizer's, then an OptimWrapper's base settings.

    ``OptimWrapper.base_param_settings`` (several param groups) holds the
    configured values (MMEngine's ``base_lr``); scheduling it like a group
    keeps it the schedule's own value while ``paramwise_cfg`` multiplies the
    others.
    """
    groups = param_groups_of(optimizer)
    base = getattr(optimizer, "base_param_settings", None)
    return groups if base is None else [*groups, base]


def per_group(value: Any, optimizer: Any, name: str, owner: str) -> list[Any]:
    """One ``value`` per scheduled group: a list gives one per param group (the base
    settings take group 0's), a single value is repeated."""
    groups = scheduled_groups(optimizer)
    if not isinstance(value, (list, tuple)):
        return [value] * len(groups)
    real = len(param_groups_of(optimizer))
    if len(value) != real:
        raise BuildValueError(f"{owner} got {len(value)} values of {name} for {real} param groups.")
    return list(value) + [value[0]] * (len(groups) - real)


def _scale_steps(value: Any, epoch_length: int) -> Any:
    """An epoch count (or a list of them) as an iteration count."""
    if value is None or isinstance(value, str):  # a bad value: refused as it was given
        return value
    if isinstance(value, (list, tuple)):
        return [v * epoch_length for v in value]
    return value * epoch_length


class _SchedulerMeta(type):
    """Let ``Scheduler(...)`` without an optimizer make an unbound scheduler, and
    pass every argument by name, so ``__init__`` may take the common ones as ``**common``.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        optimizer = args[0] if args else kwargs.get("optimizer")
        if optimizer is None:
            return cast("type[_ParamScheduler]", cls)._make_unbound(
                args[1:], {k: v for k, v in kwargs.items() if k != "optimizer"}
            )
        if len(args) > 1 and not _takes_var_positional(cls):
            kwargs = _by_name(cast("type[_ParamScheduler]", cls), args, kwargs)
            args = ()
        return super().__call__(*args, **kwargs)


def _by_name(cls: type[_ParamScheduler], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Positional arguments named after the public signature (MMEngine's order)."""
    return _name(cls.__name__, _positional_names(cls.__signature__), args, kwargs)


def _positional_names(signature: inspect.Signature) -> list[str]:
    return [p.name for p in signature.parameters.values() if p.kind in _POSITIONAL]


def _name(
    owner: str, names: list[str], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    if len(args) > len(names):
        raise TypeError(f"{owner} takes {len(names)} arguments, got {len(args)}.")
    named = dict(zip(names, args))
    twice = [name for name in named if name in kwargs]
    if twice:
        raise TypeError(f"{owner} got multiple values for argument {twice[0]!r}.")
    return {**named, **kwargs}


def _unbound_use(scheduler: Any, name: str) -> str:
    """``it cannot step()`` / ``it has no 'optimizer'``: what an unbound scheduler was asked,
    by the public method the caller called (the outermost of the scheduler's own frames),
    not the internal attribute that method reached for."""
    import sys
    import types

    frame: types.FrameType | None = sys._getframe(2)  # the caller of __getattr__
    method = None
    while frame is not None and frame.f_locals.get("self") is scheduler:
        if not frame.f_code.co_name.startswith("_"):
            method = frame.f_code.co_name
        frame = frame.f_back
    if method is not None:
        return f"it cannot {method}()"
    return f"it has no {name!r}"


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
    #: the state a resume carries over when the schedule's length changed (see resume_from)
    progress_keys: ClassVar[tuple[str, ...]] = (
        "last_step",
        "_global_step",
        "_last_value",
        "base_values",
    )
    #: set by the builder when ``end`` was taken from the run's length, not configured
    end_follows_run = False
    #: whether the values depend on ``end`` (a resume into a run of another length warns)
    values_follow_end: ClassVar[bool] = True
    # Arguments counted in steps, multiplied by the epoch length by
    # ``build_iter_from_epoch`` (begin and end always are).
    _step_count_args: tuple[str, ...] = ()
    _unbound: dict[str, Any] | None = None
    #: iterations per epoch of a converted schedule (``convert_to_iter_based``), else None
    _epoch_length: int | None = None
    __signature__: ClassVar[inspect.Signature]  # set by __init_subclass__

    @property
    def converted_epoch_length(self) -> int | None:
        """Iterations per epoch if built with ``convert_to_iter_based=True``, else None:
        its ``begin`` and ``end`` are then epochs times this length."""
        return self._epoch_length

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
        groups = scheduled_groups(optimizer)
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
            raise BuildAssertionError(  # MMEngine asserts it
                f"{type(self).__name__} needs last_step as an int >= -1 (-1 for a fresh "
                f"schedule), got {last_step!r}."
            )
        initial_key = f"initial_{param_name}"
        if last_step == -1:
            for i, group in enumerate(groups):
                if param_name not in group:
                    keys = [k for k in group if k != "params"]
                    raise BuildKeyError(
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
        # scheduler, say why instead of a bare AttributeError (an AttributeError
        # still, so hasattr() and getattr(s, name, default) answer).
        if not name.startswith("__") and self.__dict__.get("_unbound") is not None:
            raise NotBoundError(
                f"{type(self).__name__} was created without an optimizer, so "
                f"{_unbound_use(self, name)} yet. Give it to the Runner (param_scheduler=...) "
                "or bind it with build_param_schedulers(scheduler, optim_wrapper)."
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
            raise BuildAssertionError(
                f"{cls.__name__}: convert_to_iter_based=True converts an epoch-based schedule; "
                "it got by_epoch=False. Drop one of the two."
            )
        if not isinstance(epoch_length, int) or epoch_length <= 0:
            raise BuildAssertionError(
                f"{cls.__name__}.build_iter_from_epoch needs epoch_length, the number of "
                f"iterations per epoch, as a positive int; got {epoch_length!r}."
            )
        numbers = all(isinstance(v, (int, float)) for v in (begin, end))
        if numbers and end <= begin:  # checked here: the message shows the epochs written
            raise BuildValueError(
                f"{cls.__name__} needs end > begin, got begin={begin}, end={end} (epochs, "
                "before convert_to_iter_based turns them into iterations)."
            )
        bound = cls.__signature__.bind_partial(*args, **kwargs)
        arguments = dict(bound.arguments)
        for name in cls._step_count_args:
            if name in arguments:
                arguments[name] = _scale_steps(arguments[name], epoch_length)
        arguments["begin"] = int(begin * epoch_length)
        arguments["end"] = end if end == INF else int(end * epoch_length)
        arguments["by_epoch"] = False
        scheduler = cls(**arguments)
        scheduler._epoch_length = epoch_length  # saved: a resume sees a changed length
        return scheduler

    # -- stepping -------------------------------------------------------------
    def _get_value(self) -> list[Any]:
        """The new values, one per param group (chainable form)."""
        raise NotImplementedError

    def _current(self) -> list[Any]:
        """The parameter's present value in each param group."""
        name = self.param_name
        return [group[name] for group in scheduled_groups(self.optimizer)]

    def _scaled(self, factor: Any) -> list[Any]:
        """The present values times ``factor`` (the chainable form of most schedules)."""
        return [value * factor for value in self._current()]

    def step(self) -> None:
        """Advance one step and set the new values inside ``[begin, end)``."""
        if self._global_step == 0:  # the first step after the one __init__ takes
            warn_if_stepped_first(self, self.optimizer)
        self._global_step += 1
        groups = scheduled_groups(self.optimizer)
        name = self.param_name
        if self.begin <= self._global_step < self.end:
            self.last_step += 1
            values = self._get_value()
            if len(values) < len(groups) and len(values) == len(param_groups_of(self.optimizer)):
                # a _get_value() written for MMEngine that iterates optimizer.param_groups
                # (mmdet's QuadraticWarmupLR) gives no value for the base settings: move them
                # by group 0's relative change, as MMEngine's extra param group moves
                base = _follow_group0(values[0], self.base_values, groups[-1][name])
                values = [*values, base]
            for i, (group, value) in enumerate(zip(groups, values)):
                group[name] = value
                self.print_value(self.verbose, i, value)
        self._last_value = [group[name] for group in groups]

    def print_value(self, is_verbose: bool, group: int, value: Any) -> None:
        """Log a new value when ``is_verbose`` (MMEngine's hook for a ``step()`` of yours).

        Through the run's logger, as MMEngine does, so ``verbose=True`` lands
        in the run's log file too.
        """
        if is_verbose:
            from ...logging import print_log

            print_log(f"Adjusting parameter value of group {group} to {value:.4e}.", "current")

    def get_last_value(self) -> list[Any]:
        """The values of the last step, one per param group (the base settings left out)."""
        return self._last_value[: len(param_groups_of(self.optimizer))]

    # -- checkpoints ----------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (plain Python values only)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        self.__dict__.update({k: v for k, v in state_dict.items() if k != "optimizer"})

    def resume_from(self, state_dict: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
        """Load a checkpoint's state into a scheduler built for a run of another length.

        When this scheduler's ``end`` was not configured but taken from the
        run's length (``end_follows_run``) and the resumed run is longer or
        shorter than the checkpoint's, only the progress (``progress_keys``)
        is loaded and ``end`` stays this run's; the steps the old end cut off
        that lie before the new one are taken again, so an extended run
        continues like an uninterrupted run of the new length. Otherwise it is
        :meth:`load_state_dict`. Returns the arguments kept from this run that
        change the schedule's values, ``{name: (old, new)}``: none for a
        schedule whose values do not depend on its end (``values_follow_end``).

        A converted schedule (``convert_to_iter_based``) whose epoch is now
        another number of iterations (another batch size or dataset length)
        keeps this run's arguments, built for the new length, and takes the
        checkpoint's progress converted to it (see :meth:`_resume_rescaled`);
        it returns ``{'_epoch_length': (old, new)}``.
        """
        old_length = state_dict.get("_epoch_length")
        if self._epoch_length and isinstance(old_length, int) and old_length > 0:
            if old_length != self._epoch_length:
                return self._resume_rescaled(state_dict, old_length)
        old_end = state_dict.get("end", self.end)
        if not self.end_follows_run or old_end == self.end:
            self.load_state_dict(state_dict)
            return {}
        kept = {
            key: (state_dict[key], value)
            for key, value in self.__dict__.items()
            if key in state_dict and key not in self.progress_keys and state_dict[key] != value
        }
        self.__dict__.update({k: state_dict[k] for k in self.progress_keys if k in state_dict})
        self._take_cut_off_steps(int(old_end))
        return kept if self.values_follow_end else {}

    def _resume_rescaled(
        self, state_dict: Mapping[str, Any], old_length: int
    ) -> dict[str, tuple[Any, Any]]:
        """Resume a converted schedule whose epoch had ``old_length`` iterations.

        The saved step counts are in old iterations while this run's
        milestones, ``begin`` and ``end`` are in new ones: the progress is
        taken in epochs and converted (rounded down, so a step before a
        milestone in the old run stays before it), and a milestone the
        checkpoint already applied is not applied again.
        """
        new_length = int(self._epoch_length or old_length)

        def convert(step: int) -> int:
            return step if step < 0 or step >= INF else step * new_length // old_length

        self.__dict__.update(
            {
                k: state_dict[k]
                for k in self.progress_keys
                if k in state_dict and k not in ("last_step", "_global_step")
            }
        )
        done = convert(int(state_dict.get("_global_step", -1)))
        old_end = convert(int(state_dict.get("end", self.end)))
        self._global_step = done
        last = min(done, old_end - 1, self.end - 1)
        started = int(state_dict.get("last_step", -1)) >= 0 and last >= self.begin
        self.last_step = last - self.begin if started else -1
        if old_end < self.end:
            self._take_cut_off_steps(old_end)
        return {"_epoch_length": (old_length, new_length)}

    def follow_run(self, max_epochs: int | None, max_iters: int | None) -> None:
        """Move ``end`` to a run's new length when it was taken from the run's length
        (``end_follows_run``): a later ``train()`` of a longer run (``max_epochs`` raised
        in a notebook) continues the schedule as a resume into that run does, taking the
        steps the old end cut off; a configured ``end`` stays."""
        if not self.end_follows_run or self.values_follow_end:
            return  # T_max / total_iters / total_steps were taken from the old end: keep it
        if self.by_epoch:
            new_end = max_epochs
        elif self._epoch_length and max_epochs is not None:  # converted: epochs in iterations
            new_end = max_epochs * self._epoch_length
        else:
            new_end = max_iters
        if new_end is None or new_end == self.end or new_end <= self.begin:
            return
        old_end, self.end = self.end, new_end
        if new_end > old_end:
            self._take_cut_off_steps(int(old_end))

    def _take_cut_off_steps(self, old_end: int) -> None:
        """Take the steps already counted (``_global_step``) that the old end skipped."""
        done, first = self._global_step, max(self.begin, old_end, 1)
        if first > done or first >= self.end:
            return
        self._global_step = first - 1
        with warnings.catch_warnings():  # not a user's step: no call-order warning
            warnings.simplefilter("ignore")
            while self._global_step < done:
                self.step()

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
        _name_positional_arguments(cls)
        cls.__signature__ = _public_signature(cls)


def _name_positional_arguments(cls: type) -> None:
    """Let an ``__init__`` taking ``**common`` still be called in MMEngine's positional order.

    A subclass written for MMEngine may call ``super().__init__(optimizer,
    param_name, step_size, gamma, begin, end)``; the wrapper names the
    arguments after the full signature before the real ``__init__`` sees them.
    """
    init = cls.__dict__.get("__init__")
    if init is None:
        return
    params = list(inspect.signature(init).parameters.values())
    if not any(p.kind is p.VAR_KEYWORD for p in params) or any(
        p.kind is p.VAR_POSITIONAL for p in params
    ):
        return
    try:
        names = [p.name for p in _full_parameters(cls.__mro__) if p.kind in _POSITIONAL]
    except (TypeError, ValueError):
        return  # no full signature to name them after: the call goes as it is
    own = sum(p.kind in _POSITIONAL for p in params) - 1  # without self

    @functools.wraps(init)
    def named_init(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > own:
            kwargs = _name(cls.__name__, names, args, kwargs)
            args = ()
        init(self, *args, **kwargs)

    cls.__init__ = named_init  # type: ignore[misc]  # a class, not an instance


def _public_signature(cls: type) -> inspect.Signature:
    """The constructor signature users see (and the registry checks configs against).

    It is what error messages name (``Its arguments are ...``, did-you-mean
    for a misspelled config key) and what positional arguments are named
    after. A subclass's ``__init__`` names its own arguments and takes the
    common ones (``begin``, ``end``, ``last_step``, ``by_epoch``, ``verbose``)
    as ``**common``: its public signature is its own arguments, then its
    parent's that it does not name, then its keyword-only ones (MMEngine puts,
    e.g., ``eta_min_ratio`` after ``verbose``). Classes that fix ``param_name``
    (the ``*LR`` / ``*Momentum`` variants) show it without ``param_name``.

    A subclass's own named arguments are always in it. An inherited argument
    Python cannot place (a required one after the subclass's defaulted ones,
    e.g. ``param_name`` after ``factor=0.1`` of a subclass that passes
    ``param_name='lr'`` itself) becomes keyword-only and optional. A subclass
    that passes ``*args`` on keeps its parent's order, its own new arguments
    (``interval=1``, or ``eta_min_ratio=None`` written before ``*args``) are
    keyword-only at the end.

    Another library's mixin ``__init__(self, optimizer, *args, **kwargs)``
    (MMEngine's pattern; mmpretrain's ``WeightDecaySchedulerMixin``) passes
    ``param_name`` on positionally as a rule: then ``param_name`` is an
    optional keyword at the end, so configs build without it and positional
    arguments after ``optimizer`` fill the arguments that follow it.

    Where no such signature can be worked out, it is the subclass's own
    ``__init__`` signature: whatever that accepts, a config may give.
    """
    try:
        params = _full_parameters(cls.__mro__)
        if getattr(cls, "_fixed_param_name", None) is not None:
            params = [p for p in params if p.name != "param_name"]
        else:
            mixin = _pass_through_mixin(cls)
            if mixin is not None and any(p.name == "param_name" for p in params):
                optional = inspect.Parameter(
                    "param_name", inspect.Parameter.KEYWORD_ONLY, default=_SetBy(mixin)
                )
                params = [p for p in params if p.name != "param_name"] + [optional]
        return inspect.Signature(params)
    except (TypeError, ValueError):
        return _init_signature(cls)


def _init_signature(cls: type) -> inspect.Signature:
    """``cls.__init__``'s own signature without ``self`` (or ``*args, **kwargs``)."""
    try:
        init = cls.__init__  # type: ignore[misc]  # a class, not an instance
        params = list(inspect.signature(init).parameters.values())
        return inspect.Signature(params[1:])
    except (TypeError, ValueError):
        return inspect.Signature(
            [
                inspect.Parameter("args", inspect.Parameter.VAR_POSITIONAL),
                inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD),
            ]
        )


def _takes_var_positional(cls: type) -> bool:
    """Whether positional arguments go to ``cls`` as they are: its nearest ``__init__``
    takes ``*args`` and passes them on (MMEngine's way: ``D(opt, 'lr', 0.5)`` for a
    ``D.__init__(self, optimizer, *args, **kwargs)``), or its public signature is a
    fallback taking ``*args``."""
    signature = getattr(cls, "__signature__", None)
    if signature is not None and any(
        p.kind is p.VAR_POSITIONAL for p in signature.parameters.values()
    ):
        return True
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is not None:
            try:
                params = inspect.signature(init).parameters.values()
            except (TypeError, ValueError):
                return False
            return any(p.kind is p.VAR_POSITIONAL for p in params)
    return False


def _pass_through_mixin(cls: type) -> type | None:
    """The first class in ``cls``'s MRO whose ``__init__`` is ``(optimizer, *args, ...)``
    (a mixin that passes the arguments on after ``optimizer``, adding its own, such
    as ``param_name``), or None."""
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        params = list(inspect.signature(init).parameters.values())[1:]
        kinds = [p.kind for p in params]
        if inspect.Parameter.VAR_POSITIONAL not in kinds:
            continue
        before = params[: kinds.index(inspect.Parameter.VAR_POSITIONAL)]
        if [p.name for p in before] == ["optimizer"]:
            return klass
    return None


class _SetBy:
    """The default shown for an argument a mixin or subclass supplies."""

    def __init__(self, mixin: type) -> None:
        self.mixin = mixin

    def __repr__(self) -> str:
        return f"<set by {self.mixin.__name__}>"


_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def _full_parameters(mro: tuple[type, ...]) -> list[inspect.Parameter]:
    """The parameters of ``mro[0]``'s constructor, its parents' included, in a valid order."""
    for i, klass in enumerate(mro):
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = list(inspect.signature(init).parameters.values())[1:]
        own = [p for p in params if p.kind in _NAMED]
        if any(p.kind is p.VAR_POSITIONAL for p in params):
            # passes positional arguments on (a mixin's (optimizer, *args, **kwargs),
            # or (*args, interval=1, **kwargs)): they fill the parent's arguments in
            # the parent's order, so its own go by name, at the end; one it shares
            # with the parent keeps the parent's place with its own default
            inherited = _full_parameters(mro[i + 1 :])
            mine = {p.name: p for p in own}
            merged = [mine[p.name].replace(kind=p.kind) if p.name in mine else p for p in inherited]
            names = {p.name for p in inherited}
            added = [p.replace(kind=p.KEYWORD_ONLY) for p in own if p.name not in names]
            return _orderable(merged + added, klass, own=set(mine))
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            return params
        head = [p for p in params if p.kind in _POSITIONAL]
        names = {p.name for p in head + own}
        inherited = [p for p in _full_parameters(mro[i + 1 :]) if p.name not in names]
        tail = [p.replace(kind=p.POSITIONAL_OR_KEYWORD) for p in own if p.kind is p.KEYWORD_ONLY]
        return _orderable(head + inherited + tail, klass, own=names)
    raise TypeError(f"cannot work out the signature of {mro[0].__name__}")


def _orderable(
    params: list[inspect.Parameter], klass: type, own: set[str]
) -> list[inspect.Parameter]:
    """``params`` in an order ``inspect.Signature`` takes: keyword-only ones last, and a
    required positional one after a defaulted one keyword-only. An inherited one
    moved so becomes optional (``klass`` may pass it itself, as a subclass fixing
    ``param_name`` does; if not, the parent's ``__init__`` still asks for it)."""
    positional: list[inspect.Parameter] = []
    keyword: list[inspect.Parameter] = []
    defaulted = False
    for p in params:
        if p.kind is p.KEYWORD_ONLY:
            keyword.append(p)
        elif p.default is p.empty and defaulted:
            default = p.default if p.name in own else _SetBy(klass)
            keyword.append(p.replace(kind=p.KEYWORD_ONLY, default=default))
        else:
            positional.append(p)
            defaulted = defaulted or p.default is not p.empty
    return positional + keyword


#: The arguments every scheduler takes after its own (``**common`` in subclasses).
COMMON_ARGS = ("begin", "end", "last_step", "by_epoch", "verbose")


def common_arguments(common: Mapping[str, Any]) -> dict[str, Any]:
    """The common arguments a subclass got as ``**common``, defaults filled in."""
    params = _ParamScheduler.__signature__.parameters
    return {name: common.get(name, params[name].default) for name in COMMON_ARGS}


def span(common: Mapping[str, Any]) -> int:
    """``end - begin`` of the common arguments: the steps a scheduler is active on."""
    given = common_arguments(common)
    return int(given["end"] - given["begin"])


_ParamScheduler.__signature__ = _public_signature(_ParamScheduler)


def variant(generic: type[_ParamScheduler], mixin: type, suffix: str, module: str) -> Any:
    """``StepParamScheduler`` -> ``Step<suffix>``: a real class fixing ``param_name``.

    It subclasses ``(mixin, generic)``, carries the generic's docstring and its
    signature without ``param_name``, and lives in ``module`` under its own name
    so pickling and the registry's entry points find it.
    """
    name = generic.__name__.replace("ParamScheduler", suffix)
    namespace = {"__doc__": generic.__doc__, "__module__": module, "__qualname__": name}
    return _SchedulerMeta(name, (mixin, generic), namespace)
