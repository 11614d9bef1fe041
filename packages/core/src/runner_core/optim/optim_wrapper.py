"""OptimWrapper: one object that does backward, accumulation, clipping and step.

A model's ``train_step`` calls ``optim_wrapper.update_params(loss)`` and never
touches the optimizer itself, so the same model code runs with gradient
accumulation, clipping, AMP or several optimizers by changing the config only.
The plain path (no accumulation, no clipping) is a handful of attribute reads
on top of ``backward / step / zero_grad``: it runs every iteration.

The wrapper keeps the last loss it back-propagated until the next backward.
After a plain backward its graph holds no activations (autograd released
them), only its nodes, among them each parameter's gradient accumulator.
While that graph lives, the next forward reuses those accumulators instead
of building and destroying one per parameter per step, as a hand-written
loop does without noticing (its ``loss`` variable lives until the next
forward). A backward with ``retain_graph`` or ``create_graph`` is not kept:
that graph still holds its activations.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any, cast

import torch
from torch import nn
from torch.optim import Optimizer

from ..errors import BuildAssertionError, BuildError, BuildValueError, did_you_mean
from ..utils.dl_utils.misc import has_batch_norm as _has_batch_norm
from .base import BaseOptimWrapper

# A reusable, stateless "do nothing" context: returned by optim_context when
# there is nothing to enter, so the hot path allocates no generator per step.
NULL_CONTEXT = contextlib.nullcontext()

_CLIP_ARGS = {
    "norm": ("max_norm", {"max_norm", "norm_type", "error_if_nonfinite", "foreach"}),
    "value": ("clip_value", {"clip_value", "foreach"}),
}


def _parse_clip_grad(clip_grad: Any) -> tuple[Any, dict[str, Any]] | None:
    """Turn ``clip_grad`` (None, False or a dict) into (clip function, kwargs)."""
    if clip_grad is None or clip_grad is False:
        return None
    if not isinstance(clip_grad, Mapping) or not clip_grad:
        raise BuildAssertionError(
            f"OptimWrapper got clip_grad={clip_grad!r}; it must be None or a non-empty dict, "
            "e.g. clip_grad=dict(max_norm=1.0, norm_type=2) or "
            "clip_grad=dict(type='value', clip_value=0.5)."
        )
    kwargs = dict(clip_grad)
    clip_type = kwargs.pop("type", "norm")
    if clip_type not in _CLIP_ARGS:
        raise BuildValueError(
            f"OptimWrapper got clip_grad type={clip_type!r}; it must be 'norm' (the default, "
            "torch.nn.utils.clip_grad_norm_) or 'value' (clip_grad_value_)."
            + did_you_mean(str(clip_type), _CLIP_ARGS)
        )
    required, allowed = _CLIP_ARGS[clip_type]
    unknown = [k for k in kwargs if k not in allowed]
    if unknown:
        hints = "".join(did_you_mean(k, allowed) for k in unknown)
        other = next((t for t, (_, keys) in _CLIP_ARGS.items() if set(unknown) <= keys), None)
        if other is not None and other != clip_type:  # MMEngine's tutorial leaves type out
            given = "left out (so 'norm')" if "type" not in clip_grad else f"{clip_type!r}"
            takes = _CLIP_ARGS[other][1]
            dropped = [k for k in kwargs if k not in takes]
            hints = (
                f" {', '.join(map(repr, unknown))} "
                f"{'belongs' if len(unknown) == 1 else 'belong'} to type={other!r}, and type is "
                f"{given}: write clip_grad=dict(type={other!r}, "
                + ", ".join(f"{k}={v!r}" for k, v in kwargs.items() if k in takes)
                + ")"
                + (f", without {', '.join(map(repr, dropped))}" if dropped else "")
                + "."
            )
        raise BuildError(
            f"OptimWrapper got unknown clip_grad key(s) {unknown} for type={clip_type!r}; "
            f"allowed: {sorted(allowed)}.{hints}"
        )
    if required not in kwargs:
        raise BuildAssertionError(
            f"OptimWrapper clip_grad of type={clip_type!r} needs {required!r}, got {dict(clip_grad)!r}."
        )
    func = (
        torch.nn.utils.clip_grad_norm_ if clip_type == "norm" else torch.nn.utils.clip_grad_value_
    )
    return func, kwargs


class OptimWrapper(BaseOptimWrapper):
    """Wrap an optimizer with gradient accumulation and gradient clipping.

    Args:
        optimizer: the ``torch.optim.Optimizer`` to drive.
        accumulative_counts: update the parameters every N calls of
            ``update_params``; the loss is divided by N (by the true size of the
            last, incomplete window once ``initialize_count_status`` told the
            wrapper the total number of iterations).
        clip_grad: ``dict(max_norm=..., norm_type=2)`` for norm clipping or
            ``dict(type='value', clip_value=...)``; None for no clipping.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        accumulative_counts: int = 1,
        clip_grad: dict[str, Any] | None = None,
    ) -> None:
        duck = all(
            hasattr(optimizer, a)
            for a in ("param_groups", "step", "zero_grad", "state_dict", "load_state_dict")
        )  # MMEngine drives any such object (torchao's CPUOffloadOptimizer, wrappers of one)
        if not isinstance(optimizer, Optimizer) and not duck:
            raise BuildError(
                f"{type(self).__name__} needs a torch.optim.Optimizer, got "
                f"{type(optimizer).__name__}. In a config, give optimizer=dict(type='SGD', lr=...) "
                "and let build_optim_wrapper build it from the model."
            )
        if isinstance(accumulative_counts, bool) or not isinstance(accumulative_counts, int):
            raise BuildError(
                f"accumulative_counts must be a positive int, got {accumulative_counts!r}."
            )
        if accumulative_counts < 1:
            raise BuildAssertionError(
                f"accumulative_counts must be >= 1, got {accumulative_counts}; use 1 to step "
                "every iteration."
            )
        super().__init__(optimizer)
        self._accumulative_counts = accumulative_counts
        self._clip_func: Any = None
        #: the clipping function's keyword arguments; None while clipping is off (as
        #: MMEngine's: ``clip_grad_kwargs is None`` tells). Setting it to None turns
        #: clipping off, as in MMEngine; ``set_clip_grad`` changes it properly.
        self.clip_grad_kwargs: dict[str, Any] | None = None
        #: MMEngine's name of the value clipping returns: 'grad_norm' or 'grad_value'
        self.grad_name: str | None = None
        self.set_clip_grad(clip_grad)
        self._inner_count = 0
        self._max_counts = -1
        self._remainder_counts = -1
        # the run's iteration counter when max_counts is only assumed (OptimWrapperDict)
        self._iteration: Callable[[], int] | None = None
        self._last_grad_norm: Any = None
        self._grad_norm_float: tuple[Any, float] | None = None  # (that norm, its float)
        self._kept_graph: torch.Tensor | None = None  # see the module docstring

    # -- the training step ----------------------------------------------------
    def update_params(
        self,
        loss: torch.Tensor,
        step_kwargs: dict[str, Any] | None = None,
        zero_kwargs: dict[str, Any] | None = None,
    ) -> None:
        """Backward ``loss``; step and zero the gradients when the window is full."""
        patched = self.__dict__  # a scheduler counts steps by wrapping self.step on the instance
        if (
            self._plain_step
            and not step_kwargs
            and not zero_kwargs
            and "step" not in patched
            and "backward" not in patched
            and "zero_grad" not in patched
        ):
            # the common case, every iteration: no accumulation, no clipping, and nothing
            # overriding backward/step/zero_grad; the same calls, inlined
            loss.backward()
            self._kept_graph = loss  # keep_graph, inline: a plain backward
            self._inner_count += 1
            optimizer = self.optimizer
            optimizer.step()
            optimizer.zero_grad()
            return
        if self._accumulative_counts != 1:
            loss = self.scale_loss(loss)
        self.backward(loss)
        if self.should_update():
            if step_kwargs:
                self.step(**step_kwargs)
            else:
                self.step()
            if zero_kwargs:
                self.zero_grad(**zero_kwargs)
            else:
                self.zero_grad()

    def backward(self, loss: torch.Tensor, **kwargs: Any) -> None:
        """``loss.backward()`` and count one more micro-batch."""
        loss.backward(**kwargs)
        self.keep_graph(loss, kwargs)
        self._inner_count += 1

    def keep_graph(self, loss: torch.Tensor, backward_kwargs: Mapping[str, Any]) -> None:
        """Hold ``loss`` (just back-propagated) until the next backward; see the module docstring.

        A subclass that overrides :meth:`backward` calls this after its own
        ``backward`` to keep the same speed-up.
        """
        # retain_graph/create_graph keep the activations; inputs= runs part of the graph only,
        # and the nodes it skipped keep theirs
        plain = not (
            backward_kwargs.get("retain_graph")
            or backward_kwargs.get("create_graph")
            or backward_kwargs.get("inputs") is not None
        )
        self._kept_graph = loss if plain else None

    def __getstate__(self) -> dict[str, Any]:
        # a graph cannot be copied or pickled, and a copy has not back-propagated anything
        state = self.__dict__.copy()
        state["_kept_graph"] = None
        if state.get("_iteration") is not None:
            # a copy cannot check max_counts against the run's iterations: it goes without
            state.update(_iteration=None, _max_counts=-1, _remainder_counts=-1)
        return state

    def step(self, **kwargs: Any) -> None:
        """Clip (if configured) and step the optimizer."""
        if self._clip_func is not None and self.clip_grad_kwargs:
            self._clip_grad()
        self.optimizer.step(**kwargs)

    def zero_grad(self, **kwargs: Any) -> None:
        self.optimizer.zero_grad(**kwargs)

    def scale_loss(self, loss: torch.Tensor) -> torch.Tensor:
        """Divide the loss by the size of the current accumulation window."""
        counts = self._accumulative_counts
        if counts == 1:
            return loss
        if (
            self._max_counts == -1
            or self._inner_count < self._max_counts - self._remainder_counts
            or not self._max_counts_hold(backwarded=0)
        ):
            return loss / counts
        # MMEngine's remainder is 0 when the windows divide the run: that last one is full
        return loss / (self._remainder_counts or counts)

    def _clip_grad(self) -> None:
        # a frozen parameter's stale gradient is neither clipped nor counted, as in MMEngine
        params = [
            p
            for group in self.optimizer.param_groups
            for p in group["params"]
            if p.grad is not None and p.requires_grad
        ]
        if params:
            # Keep the tensor: turning it into a float syncs the device, so that
            # happens only when someone reads ``last_grad_norm``.
            self._last_grad_norm = self._clip_func(params, **cast(dict, self.clip_grad_kwargs))

    @property
    def grad_norm(self) -> Any:
        """The last clipping norm as the clip returned it (a tensor; no device sync).

        A new object after each clipping step, the same one until the next:
        loggers tell a step's norm from a repeat of the last one by identity
        (under accumulation most iterations do not step).
        """
        return self._last_grad_norm

    def set_clip_grad(self, clip_grad: dict[str, Any] | None) -> None:
        """Change gradient clipping (``clip_grad=`` semantics; None turns it off)."""
        parsed = _parse_clip_grad(clip_grad)
        if parsed is None:
            self._clip_func = self.clip_grad_kwargs = self.grad_name = None
        else:
            self._clip_func, self.clip_grad_kwargs = parsed
            norm = self._clip_func is torch.nn.utils.clip_grad_norm_
            self.grad_name = "grad_norm" if norm else "grad_value"
        self._plain_step = self._is_plain_step()

    @property
    def clip_func(self) -> Any:
        """The clipping function (``clip_grad_norm_`` or ``clip_grad_value_``; None while off).

        MMEngine's attribute, which wrappers of one's own call in their ``step``.
        """
        return self._clip_func

    @clip_func.setter
    def clip_func(self, func: Any) -> None:
        self._clip_func = func
        self._plain_step = self._is_plain_step()

    @property
    def message_hub(self) -> Any:
        """The current ``MessageHub`` (MMEngine's attribute, for wrappers that log), or
        the hub a wrapper of one's own set (MMEngine's ``__init__`` assigns it).

        This wrapper logs nothing itself: ``RuntimeInfoHook`` publishes
        ``train/grad_norm`` from :attr:`grad_norm`.
        """
        hub = self.__dict__.get("_message_hub")
        if hub is not None:
            return hub
        from ..logging.message_hub import MessageHub

        return MessageHub.get_current_instance()

    @message_hub.setter
    def message_hub(self, hub: Any) -> None:
        self._message_hub = hub

    def _is_plain_step(self) -> bool:
        """No accumulation, no clipping, and a class that keeps our backward/step/zero_grad."""
        return (
            self._accumulative_counts == 1
            and self._clip_func is None
            and type(self) is OptimWrapper
        )

    @property
    def last_grad_norm(self) -> float | None:
        """The total gradient norm before the last clipping step (None for value clipping)."""
        value = self._last_grad_norm
        if value is None or isinstance(value, float):
            return value
        cached = self._grad_norm_float
        if cached is None or cached[0] is not value:  # one device sync per clipping step
            cached = self._grad_norm_float = (value, float(value))
        return cached[1]

    # -- accumulation bookkeeping ---------------------------------------------
    def initialize_count_status(self, model: nn.Module, init_counts: int, max_counts: int) -> None:
        """Tell the wrapper its updates so far and the total (the run's iterations).

        The Runner calls this before training and on resume (with the count the
        checkpoint stored), so the last, incomplete accumulation window is
        scaled by its true size.
        """
        counts = self._accumulative_counts
        self._inner_count = init_counts
        self._iteration = None
        self._max_counts = max_counts if max_counts and max_counts > 0 else -1
        # Size of the last, incomplete window; 0 when the windows divide the run (MMEngine's)
        self._remainder_counts = self._max_counts % counts if self._max_counts > 0 else -1
        if counts > 1:
            if init_counts % counts != 0:
                warnings.warn(
                    f"Resumed after {init_counts} updates, which is not a multiple of "
                    f"accumulative_counts={counts}: the gradients of the interrupted window are "
                    "lost and that window steps with fewer micro-batches.",
                    stacklevel=2,
                )
            if _has_batch_norm(model):
                warnings.warn(
                    "Gradient accumulation with BatchNorm layers: BatchNorm statistics see the "
                    "micro-batch, not the accumulated batch, so results can differ slightly "
                    "from one large batch.",
                    stacklevel=2,
                )

    def should_update(self) -> bool:
        """Whether the micro-batch just backwarded completes a window."""
        count = self._inner_count
        return count % self._accumulative_counts == 0 or (
            count == self._max_counts and self._max_counts_hold(backwarded=1)
        )

    def should_sync(self) -> bool:
        """Whether the coming backward must all-reduce gradients (DDP)."""
        count = self._inner_count + 1
        return count % self._accumulative_counts == 0 or (
            count == self._max_counts and self._max_counts_hold(backwarded=0)
        )

    def _max_counts_hold(self, backwarded: int) -> bool:
        """Whether ``max_counts`` counts this wrapper's updates (checked in the last window only).

        Always when it was given as such. An ``OptimWrapperDict`` gives its
        wrappers the run's length assuming one update per iteration, with the
        run's iteration counter: the assumption holds while the count equals the
        iterations run (``backwarded``: this iteration's backward is done). A
        wrapper updated more (or less) often forgets ``max_counts`` for good and
        scales and steps as MMEngine's wrappers of a dict, which never have it.
        """
        iteration = self._iteration
        if iteration is None or self._inner_count - backwarded == iteration():
            return True
        self._iteration = None
        self._max_counts = self._remainder_counts = -1
        return False

    def optim_context(self, model: nn.Module) -> contextlib.AbstractContextManager[Any]:
        """The context ``train_step`` runs the forward in.

        On non-stepping accumulation iterations it is the model's ``no_sync()``
        (DDP skips the gradient all-reduce); otherwise nothing.
        """
        if self._skips_sync(model):
            # nn.Module's __getattr__ is typed as returning a Tensor or Module
            return cast(Any, model).no_sync()
        return NULL_CONTEXT

    def _skips_sync(self, model: nn.Module) -> bool:
        """Whether this iteration's backward runs in the model's ``no_sync()``: accumulating
        under DDP. Asked instead of testing the context's type, which torch.compile cannot
        trace on torch 2.11 (a graph break and a recompile per step)."""
        return (
            self._accumulative_counts != 1 and not self.should_sync() and hasattr(model, "no_sync")
        )

    @property
    def inner_count(self) -> int:
        """Micro-batches this wrapper backwarded so far, counting those before a resume."""
        return self._inner_count

    @property
    def max_counts(self) -> int:
        return self._max_counts

    @property
    def accumulative_counts(self) -> int:
        return self._accumulative_counts

    # param_groups, defaults, get_lr, get_momentum, state_dict and load_state_dict come from
    # BaseOptimWrapper. The accumulation counter is not in the state dict (MMEngine's format):
    # a checkpoint stores ``inner_count`` beside it, and the Runner restores it with
    # ``initialize_count_status`` (from the resumed iteration for a checkpoint without it).

    def __repr__(self) -> str:
        clip = ""
        if self._clip_func is not None:
            kind = "value" if self._clip_func is torch.nn.utils.clip_grad_value_ else "norm"
            clip = f", clip_grad=dict(type={kind!r}, {self.clip_grad_kwargs})"
        return (
            f"{type(self).__name__}(accumulative_counts={self._accumulative_counts}{clip}, "
            f"optimizer={type(self.optimizer).__name__} with "
            f"{len(self.optimizer.param_groups)} param group(s))"
        )
