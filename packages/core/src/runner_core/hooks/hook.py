"""The ``Hook`` base class and hook priorities.

A hook implements hook points (see :mod:`runner_core.hooks.specs`) by defining
public methods with their names. Only the methods a hook defines are
registered, so a hook costs nothing at the points it does not implement.
Helper methods of a hook must start with an underscore.
"""

from __future__ import annotations

import enum
from typing import Any


class Priority(enum.IntEnum):
    """Lower runs first. Ties keep registration order."""

    HIGHEST = 0
    VERY_HIGH = 10
    HIGH = 30
    ABOVE_NORMAL = 40
    NORMAL = 50
    BELOW_NORMAL = 60
    LOW = 70
    VERY_LOW = 90
    LOWEST = 100


def get_priority(priority: int | str | Priority | None, default: int = Priority.NORMAL) -> int:
    """Turn ``'HIGH'``, ``Priority.HIGH`` or ``30`` into an int; None gives ``default``."""
    if priority is None:
        return int(default)
    if isinstance(priority, str):
        try:
            return int(Priority[priority.upper()])
        except KeyError:
            from ..errors import HookError, did_you_mean

            raise HookError(
                f"Unknown hook priority {priority!r}."
                + did_you_mean(priority.upper(), Priority.__members__)
                + f" Use one of {', '.join(Priority.__members__)} or an int."
            ) from None
    if isinstance(priority, int) and not isinstance(priority, bool):
        return int(priority)
    from ..errors import HookError

    raise HookError(f"A hook priority must be a name or an int, got {priority!r}.")


class Hook:
    """Base class of hooks. Subclasses define methods named after hook points.

    Class attribute ``priority`` is the default priority (``NORMAL``); a config
    can override it with ``priority=`` in the hook's dict.
    """

    priority: int | str = Priority.NORMAL

    # -- state kept in checkpoints (EMA weights, counters, best scores) --------
    def state_dict(self) -> dict[str, Any]:
        """The hook's own state to store in checkpoints; empty by default."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned."""

    # -- predicates hooks commonly need -----------------------------------------
    @staticmethod
    def every_n_epochs(runner: Any, n: int, start: int = 0) -> bool:
        """True after every ``n``-th completed epoch (counting from ``start``)."""
        done = runner.epoch + 1 - start
        return n > 0 and done > 0 and done % n == 0

    @staticmethod
    def every_n_inner_iters(batch_idx: int, n: int) -> bool:
        """True after every ``n``-th iteration of the current epoch."""
        return n > 0 and (batch_idx + 1) % n == 0

    @staticmethod
    def every_n_train_iters(runner: Any, n: int, start: int = 0) -> bool:
        """True after every ``n``-th training iteration (counting from ``start``)."""
        done = runner.iter + 1 - start
        return n > 0 and done > 0 and done % n == 0

    @staticmethod
    def end_of_epoch(dataloader: Any, batch_idx: int) -> bool:
        """True at the last batch of an epoch."""
        return batch_idx + 1 == len(dataloader)

    @staticmethod
    def is_last_train_epoch(runner: Any) -> bool:
        """True during the last training epoch."""
        return runner.epoch + 1 == runner.max_epochs

    @staticmethod
    def is_last_train_iter(runner: Any) -> bool:
        """True at the last training iteration."""
        return runner.iter + 1 == runner.max_iters

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


BASE_ATTRIBUTES = frozenset(dir(Hook))
