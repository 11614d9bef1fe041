"""OptimWrapperDict: several named optim wrappers (e.g. generator and discriminator).

A model trained with several optimizers updates each one itself inside its
``train_step`` (``optim_wrapper['generator'].update_params(g_loss)``), so the
dict only groups them for the Runner: learning rates for logging, one state
dict for checkpoints, count status for all.
"""

from __future__ import annotations

from collections.abc import Callable, ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Any, NoReturn

from torch import nn

from ..errors import BuildAssertionError, RunnerError, did_you_mean
from .optim_wrapper import OptimWrapper


class MissingOptimWrapperError(RunnerError, KeyError, AssertionError):
    """``optim_wrapper['name']`` names no wrapper: a KeyError, and the AssertionError
    MMEngine raises."""


class AmbiguousOptimWrapperError(RunnerError, NotImplementedError, AttributeError):
    """A single wrapper's method or attribute asked of the dict: MMEngine's NotImplementedError,
    and an AttributeError, as MMEngine's dict has no ``defaults`` or ``_inner_count``
    (so ``hasattr(optim_wrapper, 'defaults')`` is False there and here)."""


class OptimWrapperDict(OptimWrapper):
    """A read-only mapping of name -> OptimWrapper.

    It subclasses ``OptimWrapper`` only so that code checking
    ``isinstance(x, OptimWrapper)`` accepts it. ``zero_grad()`` and
    ``param_groups`` cover all wrappers, as in MMEngine; the per-step methods
    raise and say to call the wrapper of each optimizer.
    """

    def __init__(self, **optim_wrappers: OptimWrapper) -> None:
        for name, wrapper in optim_wrappers.items():
            if not isinstance(wrapper, OptimWrapper) or isinstance(wrapper, OptimWrapperDict):
                raise BuildAssertionError(
                    f"OptimWrapperDict value {name!r} must be an OptimWrapper, got "
                    f"{type(wrapper).__name__}. Wrap the optimizer first: OptimWrapper(optimizer)."
                )
        self.optim_wrappers: dict[str, OptimWrapper] = dict(optim_wrappers)

    # -- mapping --------------------------------------------------------------
    def __getitem__(self, key: str) -> OptimWrapper:
        try:
            return self.optim_wrappers[key]
        except KeyError:
            raise MissingOptimWrapperError(
                f"OptimWrapperDict has no optim wrapper {key!r}; it has "
                f"{list(self.optim_wrappers)}.{did_you_mean(key, self.optim_wrappers)}"
            ) from None

    def __contains__(self, key: object) -> bool:
        return key in self.optim_wrappers

    def __iter__(self) -> Iterator[str]:
        return iter(self.optim_wrappers)

    def __len__(self) -> int:
        return len(self.optim_wrappers)

    def keys(self) -> KeysView[str]:
        return self.optim_wrappers.keys()

    def values(self) -> ValuesView[OptimWrapper]:
        return self.optim_wrappers.values()

    def items(self) -> ItemsView[str, OptimWrapper]:
        return self.optim_wrappers.items()

    # -- what a single wrapper does, refused ----------------------------------
    def _each(self, method: str, attribute: bool = False) -> NoReturn:
        names = list(self.optim_wrappers) or ["<name>"]
        what, use = (method, method) if attribute else (f"{method}()", f"{method}(...)")
        raise AmbiguousOptimWrapperError(
            f"OptimWrapperDict.{what} is ambiguous with several optimizers; use "
            f"each wrapper's, e.g. optim_wrapper[{names[0]!r}].{use} "
            f"(wrappers: {list(self.optim_wrappers)})."
        )

    def update_params(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._each("update_params")

    def backward(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._each("backward")

    def step(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._each("step")

    def zero_grad(self, *args: Any, **kwargs: Any) -> None:
        """Clear the gradients of every wrapper (MMEngine does the same)."""
        for wrapper in self.optim_wrappers.values():
            wrapper.zero_grad(*args, **kwargs)

    def scale_loss(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._each("scale_loss")

    def should_update(self) -> NoReturn:
        self._each("should_update")

    def should_sync(self) -> NoReturn:
        self._each("should_sync")

    def optim_context(self, model: nn.Module) -> NoReturn:
        self._each("optim_context")

    @property
    def param_groups(self) -> dict[str, list[dict[str, Any]]]:  # type: ignore[override]
        """``{name: that wrapper's param_groups}``, as MMEngine returns them."""
        return {name: wrapper.param_groups for name, wrapper in self.optim_wrappers.items()}

    @property
    def defaults(self) -> NoReturn:
        self._each("defaults", attribute=True)

    @property
    def last_grad_norm(self) -> None:
        """No single norm; read ``optim_wrapper[name].last_grad_norm``."""
        return None

    # -- what the Runner needs from all of them -------------------------------
    def initialize_count_status(
        self,
        model: nn.Module,
        cur_iter: int,
        max_iters: int,
        *,
        counts: Mapping[str, int] | None = None,
        iteration: Callable[[], int] | None = None,
    ) -> None:
        """Start each wrapper's update count: ``counts[name]`` (its own, which a
        checkpoint stores) where given, else ``cur_iter`` (MMEngine's parameter names).

        ``max_iters`` (the run's iterations) is the number of a wrapper's
        updates only when ``train_step`` updates it once per iteration, which
        the dict cannot know. So a wrapper gets it only with ``iteration`` (the
        run's iteration counter; the Runner passes it), and checks it in its
        last window: one whose count did not keep pace with the iterations
        drops it. Without ``iteration`` no wrapper gets it, as in MMEngine.
        """
        counts = counts or {}
        for name, wrapper in self.optim_wrappers.items():
            start = counts.get(name, cur_iter)
            wrapper.initialize_count_status(model, start, max_iters if iteration else -1)
            wrapper._iteration = iteration

    def get_lr(self) -> dict[str, list[float]]:
        """``{'<name>.lr': [...], ...}``."""
        return {
            f"{name}.{key}": value
            for name, wrapper in self.optim_wrappers.items()
            for key, value in wrapper.get_lr().items()
        }

    def get_momentum(self) -> dict[str, list[float]]:
        """``{'<name>.momentum': [...], ...}``."""
        return {
            f"{name}.{key}": value
            for name, wrapper in self.optim_wrappers.items()
            for key, value in wrapper.get_momentum().items()
        }

    def state_dict(self) -> dict[str, Any]:
        return {name: wrapper.state_dict() for name, wrapper in self.optim_wrappers.items()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        unknown = [k for k in state_dict if k not in self.optim_wrappers]
        if unknown:
            hints = "".join(did_you_mean(k, self.optim_wrappers) for k in unknown)
            raise MissingOptimWrapperError(
                f"Optimizer state for {unknown} does not match any wrapper of this "
                f"OptimWrapperDict ({list(self.optim_wrappers)}).{hints}"
            )
        for name, state in state_dict.items():
            self.optim_wrappers[name].load_state_dict(state)

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={wrapper!r}" for name, wrapper in self.optim_wrappers.items())
        return f"OptimWrapperDict({inner})"
