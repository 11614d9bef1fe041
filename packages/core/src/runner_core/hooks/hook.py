"""The ``Hook`` base class and hook priorities.

A hook implements hook points (see :mod:`runner_core.hooks.specs`) by
overriding the no-op methods of :class:`Hook` that carry their names. Only the
methods a hook overrides are registered, so a hook costs nothing at the points
it does not implement. Any other public method is a custom hook point that a
custom loop may call; helper methods of a hook start with an underscore.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from typing import TYPE_CHECKING, Any, ClassVar, Optional, Union

from .checkpoint_use import copies_checkpoint

if TYPE_CHECKING:
    from ..contract import RunnerAPI

#: MMEngine's alias for a hook's ``data_batch`` argument (``mmengine.hooks.hook.DATA_BATCH``),
#: which typed hooks import for their signatures.
DATA_BATCH = Optional[Union[dict, tuple, list]]  # noqa: UP007, UP045 (runtime alias)

#: The standard hook points in the order a training run reaches them (MMEngine's order).
STAGES: tuple[str, ...] = (
    "before_run",
    "after_load_checkpoint",
    "before_train",
    "before_train_epoch",
    "before_train_iter",
    "after_train_iter",
    "after_train_epoch",
    "before_val",
    "before_val_epoch",
    "before_val_iter",
    "after_val_iter",
    "after_val_epoch",
    "after_val",
    "before_save_checkpoint",
    "after_train",
    "before_test",
    "before_test_epoch",
    "before_test_iter",
    "after_test_iter",
    "after_test_epoch",
    "after_test",
    "after_run",
)

#: Hook points beyond MMEngine's: a hook may implement them like the ``STAGES``, but
#: ``Hook.stages`` stays MMEngine's list (code that walks it calls each with ``runner``).
EXTRA_STAGES: tuple[str, ...] = ("on_exception",)

#: MMEngine's mode-generic helpers and the points that call them.
_HELPER_STAGES: dict[str, tuple[str, ...]] = {
    f"_{when}_{unit}": tuple(f"{when}_{mode}_{unit}" for mode in ("train", "val", "test"))
    for when in ("before", "after")
    for unit in ("epoch", "iter")
}


class Priority(enum.IntEnum):
    """Lower runs first. Ties keep registration order.

    A member equals its number and its name: MMEngine's hooks hold their
    priority as a name (``'NORMAL'``), and code written for them compares
    ``hook.priority == 'NORMAL'``. (Hashing is the number's: a dict keyed by
    names is not found by members.)
    """

    HIGHEST = 0
    VERY_HIGH = 10
    HIGH = 30
    ABOVE_NORMAL = 40
    NORMAL = 50
    BELOW_NORMAL = 60
    LOW = 70
    VERY_LOW = 90
    LOWEST = 100

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self.name == other
        return int.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        if isinstance(other, str):
            return self.name != other
        return int.__ne__(self, other)

    __hash__ = int.__hash__


def get_priority(priority: int | str | Priority | None, default: int = Priority.NORMAL) -> int:
    """Turn ``'HIGH'``, ``Priority.HIGH`` or ``30`` into an int; None gives ``default``."""
    if priority is None:
        return int(default)
    if isinstance(priority, str):
        try:
            return int(Priority[priority.upper()])
        except KeyError:
            from ..errors import HookKeyError, did_you_mean

            raise HookKeyError(
                f"Unknown hook priority {priority!r}."
                + did_you_mean(priority.upper(), Priority.__members__)
                + f" Use one of {', '.join(Priority.__members__)} or an int."
            ) from None
    if isinstance(priority, int) and not isinstance(priority, bool):
        if not 0 <= priority <= 100:  # MMEngine's range
            from ..errors import HookError

            raise HookError(
                f"Hook priority {priority} is out of range: use 0 (HIGHEST) to 100 (LOWEST), "
                f"or a name ({', '.join(Priority.__members__)})."
            )
        return int(priority)
    from ..errors import HookTypeError  # a TypeError, as MMEngine raises

    raise HookTypeError(
        f"A hook priority must be a name or an int, got {priority!r} "
        f"({type(priority).__name__}): use 0 (HIGHEST) to 100 (LOWEST), or a name "
        f"({', '.join(Priority.__members__)})."
    )


class Hook:
    """Base class of hooks: every hook point is a method that does nothing.

    Override the points your hook needs, with MMEngine's positional signatures
    (``after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None)``)
    or any subset of the arguments by name. Only the points a subclass
    overrides are registered (see :meth:`get_triggered_stages`), so a hook
    costs nothing at the points it leaves alone. MMEngine's mode-generic
    helpers ``_before_epoch``, ``_after_epoch``, ``_before_iter`` and
    ``_after_iter`` work too: overriding one makes the hook run at the
    train, val and test variants of that point, with ``mode`` set. When a run
    call fails, ``on_exception`` is called instead of the ``after_*`` points
    still due: release there what a ``before_*`` point took.

    Class attribute ``priority`` is the default priority (``NORMAL``); a config
    can override it with ``priority=`` in the hook's dict.

    The ``runner`` argument is typed ``Any`` here so that an override may
    annotate it ``Runner`` (as OpenMMLab code does), ``RunnerAPI``, or not at
    all, and still type-check; what a hook may rely on is
    :class:`~runner_core.contract.RunnerAPI` (see :mod:`runner_core.hooks.specs`).
    """

    priority: int | str = Priority.NORMAL

    def __getstate__(self) -> Any:
        """Without the functions a HookManager set on the instance to pass the runner by
        position (they call this instance's methods): a copy or an unpickled hook gets its
        own when it is registered."""
        state = super().__getstate__()
        # ``is True``: a MagicMock answers any attribute with a (true) child mock
        if isinstance(state, dict) and any(
            getattr(v, "_runner_by_position", False) is True for v in state.values()
        ):
            state = {
                k: v
                for k, v in state.items()
                if getattr(v, "_runner_by_position", False) is not True
            }
        return state

    #: MMEngine's ``Hook.stages``: the standard hook points in the order a run reaches them.
    stages: ClassVar[tuple[str, ...]] = STAGES

    # -- run ---------------------------------------------------------------------
    def before_run(self, runner: Any) -> None:
        """See :func:`runner_core.hooks.specs.before_run`."""

    def after_run(self, runner: Any) -> None:
        """See :func:`runner_core.hooks.specs.after_run`."""

    def on_exception(self, runner: Any, exception: BaseException) -> None:
        """See :func:`runner_core.hooks.specs.on_exception`."""

    def before_train(self, runner: Any) -> None:
        """See :func:`runner_core.hooks.specs.before_train`."""

    def after_train(self, runner: Any) -> None:
        """See :func:`runner_core.hooks.specs.after_train`."""

    def before_val(self, runner: Any) -> None:
        """See :func:`runner_core.hooks.specs.before_val`."""

    def after_val(self, runner: Any) -> None:
        """See :func:`runner_core.hooks.specs.after_val`."""

    def before_test(self, runner: Any) -> None:
        """See :func:`runner_core.hooks.specs.before_test`."""

    def after_test(self, runner: Any) -> None:
        """See :func:`runner_core.hooks.specs.after_test`."""

    # -- checkpoints -------------------------------------------------------------
    def before_save_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        """See :func:`runner_core.hooks.specs.before_save_checkpoint`."""

    @copies_checkpoint  # does nothing: the Runner may map the file
    def after_load_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        """See :func:`runner_core.hooks.specs.after_load_checkpoint`."""

    # -- epochs ------------------------------------------------------------------
    def before_train_epoch(self, runner: Any) -> None:
        """See :func:`runner_core.hooks.specs.before_train_epoch`."""
        self._before_epoch(runner, mode="train")

    def before_val_epoch(self, runner: Any) -> None:
        """See :func:`runner_core.hooks.specs.before_val_epoch`."""
        self._before_epoch(runner, mode="val")

    def before_test_epoch(self, runner: Any) -> None:
        """See :func:`runner_core.hooks.specs.before_test_epoch`."""
        self._before_epoch(runner, mode="test")

    def after_train_epoch(self, runner: Any) -> None:
        """See :func:`runner_core.hooks.specs.after_train_epoch`."""
        self._after_epoch(runner, mode="train")

    def after_val_epoch(self, runner: Any, metrics: dict[str, Any] | None = None) -> None:
        """See :func:`runner_core.hooks.specs.after_val_epoch`."""
        self._after_epoch(runner, mode="val")

    def after_test_epoch(self, runner: Any, metrics: dict[str, Any] | None = None) -> None:
        """See :func:`runner_core.hooks.specs.after_test_epoch`."""
        self._after_epoch(runner, mode="test")

    # -- iterations --------------------------------------------------------------
    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        """See :func:`runner_core.hooks.specs.before_train_iter`."""
        self._before_iter(runner, batch_idx=batch_idx, data_batch=data_batch, mode="train")

    def before_val_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        """See :func:`runner_core.hooks.specs.before_val_iter`."""
        self._before_iter(runner, batch_idx=batch_idx, data_batch=data_batch, mode="val")

    def before_test_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        """See :func:`runner_core.hooks.specs.before_test_iter`."""
        self._before_iter(runner, batch_idx=batch_idx, data_batch=data_batch, mode="test")

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        """See :func:`runner_core.hooks.specs.after_train_iter`."""
        self._after_iter(
            runner, batch_idx=batch_idx, data_batch=data_batch, outputs=outputs, mode="train"
        )

    def after_val_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        """See :func:`runner_core.hooks.specs.after_val_iter`."""
        self._after_iter(
            runner, batch_idx=batch_idx, data_batch=data_batch, outputs=outputs, mode="val"
        )

    def after_test_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        """See :func:`runner_core.hooks.specs.after_test_iter`."""
        self._after_iter(
            runner, batch_idx=batch_idx, data_batch=data_batch, outputs=outputs, mode="test"
        )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Warn when a subclass overrides a mode-generic helper (``_after_iter``...) that
        the points it inherits never call: the standard hooks implement each point
        themselves, where MMEngine's go through the helper (mmagic's ``IterTimerHook``
        subclass overrides ``_after_iter``), so the override would be silently unused."""
        super().__init_subclass__(**kwargs)
        for helper, stages in _HELPER_STAGES.items():
            if helper not in cls.__dict__:
                continue
            bypassed = [stage for stage in stages if _bypasses(cls, stage, helper)]
            if bypassed:
                import warnings

                points = ", ".join(bypassed)
                warnings.warn(
                    f"{cls.__qualname__} overrides {helper}, but the points it inherits "
                    f"({points}) never call it: {_owner(cls, bypassed[0]).__qualname__} "
                    f"implements them itself, so the override is unused there. Override "
                    f"{points} instead, or derive from Hook.",
                    stacklevel=2,
                )

    # -- MMEngine's mode-generic helpers -------------------------------------------
    def _before_epoch(self, runner: Any, mode: str = "train") -> None:
        """Override to act before every train, val and test epoch."""

    def _after_epoch(self, runner: Any, mode: str = "train") -> None:
        """Override to act after every train, val and test epoch."""

    def _before_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, mode: str = "train"
    ) -> None:
        """Override to act before every train, val and test iteration."""

    def _after_iter(
        self,
        runner: Any,
        batch_idx: int,
        data_batch: Any = None,
        outputs: Any = None,
        mode: str = "train",
    ) -> None:
        """Override to act after every train, val and test iteration."""

    def get_triggered_stages(self) -> list[str]:
        """The standard hook points this hook implements, in run order
        (``on_exception`` last).

        A point counts when the subclass overrides it, or overrides the
        mode-generic helper that the point calls.
        """
        own = type(self)
        known = (*STAGES, *EXTRA_STAGES)
        triggered = {
            stage for stage in known if getattr(own, stage, None) is not getattr(Hook, stage)
        }
        for helper, stages in _HELPER_STAGES.items():
            if getattr(own, helper, None) is not getattr(Hook, helper):
                triggered.update(stages)
        return [stage for stage in known if stage in triggered]

    def idle_points(self, runner: Any) -> Collection[str]:
        """The points this hook implements that have nothing to do in this training run.

        Asked once per ``train()``, right after ``before_train`` (so the hook
        has seen the runner's configuration); the runner then leaves this hook
        out of those points until ``after_train``. A point that only sometimes
        applies, such as a by-epoch checkpoint's ``after_train_iter``, then
        costs nothing per iteration. Name only points whose answer cannot change
        during the run, unless something outside the loop wakes the hook with
        ``runner.hooks.wake_soon(hook)`` (the preemption hook's signal handler
        does); the default is none. A single name may be returned as a string.
        """
        return ()

    # -- state kept in checkpoints (EMA weights, counters, best scores) --------
    def state_dict(self) -> dict[str, Any]:
        """The hook's own state to store in checkpoints; empty by default."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned."""

    # -- predicates hooks commonly need -----------------------------------------
    @staticmethod
    def every_n_epochs(runner: RunnerAPI, n: int, start: int = 0) -> bool:
        """True when ``runner.epoch + 1 - start`` is a multiple of ``n`` (0 included).

        So ``start`` itself counts, as in MMEngine: ``every_n_epochs(runner, 2,
        start=3)`` is True in the third epoch (``runner.epoch == 2``), then the
        fifth, seventh...; False before ``start`` and for ``n < 1``.
        """
        done = runner.epoch + 1 - start
        return n > 0 and done >= 0 and done % n == 0

    @staticmethod
    def every_n_inner_iters(batch_idx: int, n: int) -> bool:
        """True after every ``n``-th iteration of the current epoch."""
        return n > 0 and (batch_idx + 1) % n == 0

    @staticmethod
    def every_n_train_iters(runner: RunnerAPI, n: int, start: int = 0) -> bool:
        """True when ``runner.iter + 1 - start`` is a multiple of ``n`` (0 included),
        as :meth:`every_n_epochs` for training iterations."""
        done = runner.iter + 1 - start
        return n > 0 and done >= 0 and done % n == 0

    @staticmethod
    def end_of_epoch(dataloader: Any, batch_idx: int) -> bool:
        """True at the last batch of an epoch (the dataloader must have a length)."""
        try:
            return batch_idx + 1 == len(dataloader)
        except TypeError:
            dataset = getattr(dataloader, "dataset", dataloader)
            if hasattr(type(dataloader), "__len__") and hasattr(type(dataset), "__len__"):
                raise  # a __len__ that failed on its own: its message says why
            from ..errors import HookTypeError  # a TypeError, as MMEngine's len() raises

            what = type(dataloader).__name__
            if dataset is not dataloader:
                what += f" over {type(dataset).__name__}"
            raise HookTypeError(
                f"Hook.end_of_epoch needs the dataloader's length, but {what} has no "
                "len() (an IterableDataset, or a generator): the last batch of an epoch is "
                "unknown until it has passed. Act in after_train_epoch (or _after_epoch) "
                "instead, or give the dataset a __len__."
            ) from None

    @staticmethod
    def is_last_train_epoch(runner: RunnerAPI) -> bool:
        """True during the last training epoch."""
        return runner.epoch + 1 == runner.max_epochs

    @staticmethod
    def is_last_train_iter(runner: RunnerAPI) -> bool:
        """True at the last training iteration."""
        return runner.iter + 1 == runner.max_iters

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


#: Names of ``Hook`` that are not hook implementations (helpers, state, predicates).
BASE_ATTRIBUTES = frozenset(dir(Hook)) - set(STAGES) - set(EXTRA_STAGES)


def _show_point_docs() -> None:
    """Give each point method of ``Hook`` its hookspec's docstring, so ``help()`` and IDEs
    show what the point is for (the source says only where the spec is)."""
    import inspect

    from . import specs

    for name in (*STAGES, *EXTRA_STAGES):
        method, spec = Hook.__dict__.get(name), getattr(specs, name, None)
        if method is not None and spec is not None and spec.__doc__:
            method.__doc__ = f"{inspect.cleandoc(spec.__doc__)}\n\n{method.__doc__ or ''}".strip()


_show_point_docs()


def _owner(cls: type, name: str) -> type:
    """The class in ``cls``'s MRO that defines ``name``."""
    return next(k for k in cls.__mro__ if name in k.__dict__)


def _bypasses(cls: type, stage: str, helper: str) -> bool:
    """Whether ``cls`` inherits ``stage`` from an ancestor below ``Hook`` whose code does
    not reach ``helper`` (directly, or through ``super()`` up to ``Hook``'s point)."""
    if stage in cls.__dict__:
        return False  # the subclass implements the point itself: its own business
    import inspect

    for owner in cls.__mro__:
        if stage not in owner.__dict__:
            continue
        if owner is Hook:
            return False  # Hook's point calls the helper
        code = getattr(inspect.unwrap(owner.__dict__[stage]), "__code__", None)
        if code is None or _mentions(code, helper):
            return False  # cannot tell, or it calls the helper
        if "super" not in code.co_names:
            return True
    return False


def _mentions(code: Any, name: str) -> bool:
    """Whether ``code`` or a function nested in it uses ``name``."""
    if name in code.co_names:
        return True
    return any(_mentions(const, name) for const in code.co_consts if hasattr(const, "co_names"))
