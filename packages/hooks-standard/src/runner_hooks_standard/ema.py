"""EMAHook: an exponential moving average of the weights, used for validation and testing.

After every training iteration (from ``begin_iter`` / ``begin_epoch`` on) the
average moves toward the model: ``ema = (1 - momentum) * ema + momentum * w``
(MMEngine's convention: ``momentum`` is the weight of the *new* value). Before
that the average simply follows the model. Validation and testing swap the
averaged weights into the model and swap them back afterwards.

Checkpoints follow MMEngine's layout, so ``load_from`` of an EMA checkpoint
tests the averaged model: ``state_dict`` holds the averaged weights and
``ema_state_dict`` the training weights (``module.``-prefixed) plus the update
count ``steps``. Resuming swaps them back, so training continues exactly.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from runner_core.contract import RunnerAPI
from runner_core.errors import HookAssertionError, HookError, HookKeyError, did_you_mean
from runner_core.hooks import Hook, Priority


class ExponentialMovingAverage(nn.Module):
    """A copy of ``model`` whose floating-point parameters track an EMA of the model's.

    ``steps`` counts updates; the first update copies the model, later ones
    (every ``interval``-th) blend with ``momentum``. With
    ``update_buffers=False`` buffers (BatchNorm statistics) are copied from
    the model instead of averaged.

    A subclass changes the rule by overriding :meth:`weight` (the weight of
    the new values in a ``lerp``; all tensors are then updated in one
    ``torch._foreach_lerp_`` call) or, for a rule that is not a ``lerp``,
    :meth:`blend` (called per tensor).
    """

    def __init__(
        self,
        model: nn.Module,
        momentum: float = 0.0002,
        interval: int = 1,
        update_buffers: bool = False,
    ) -> None:
        super().__init__()
        if not 0.0 < momentum < 1.0:
            raise HookAssertionError(
                f"EMAHook momentum must be in (0, 1), got {momentum!r}. It is the weight of the "
                "new weights in each update (MMEngine's convention; 0.0002 is typical)."
            )
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise HookError(f"EMAHook interval must be a positive int, got {interval!r}.")
        self.module = copy.deepcopy(model).requires_grad_(False)
        self.momentum = float(momentum)
        self.interval = interval
        self.update_buffers = bool(update_buffers)
        self.steps: torch.Tensor
        self.register_buffer("steps", torch.tensor(0, dtype=torch.long))
        # The count as a Python int too: reading the buffer every iteration would wait
        # for the device it lives on. The buffer is what checkpoints hold; loading one
        # re-reads it (once).
        self._steps = 0
        self.register_load_state_dict_post_hook(_reread_steps)

    def _tracked(self, model: nn.Module) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        if self.update_buffers:  # keep_vars: the tensors themselves, no detached view per entry
            return self.module.state_dict(keep_vars=True), model.state_dict(keep_vars=True)
        return dict(self.module.named_parameters()), dict(model.named_parameters())

    def weight(self, steps: int) -> float:
        """The weight of the new values in update number ``steps`` (``lerp``'s ``weight``)."""
        return self.momentum

    def blend(self, averaged: torch.Tensor, source: torch.Tensor, steps: int) -> None:
        """Move ``averaged`` toward ``source`` in place."""
        averaged.lerp_(source, self.weight(steps))

    @torch.no_grad()
    def update_parameters(self, model: nn.Module) -> None:
        """One update from ``model`` (the first copies it)."""
        averaged, source = self._tracked(model)
        steps = self._steps
        if steps == 0:
            _copy_all(list(averaged.values()), [source[key] for key in averaged])
        elif steps % self.interval == 0:
            targets, news = [], []
            for key, avg in averaged.items():
                if avg.dtype.is_floating_point:
                    targets.append(avg)
                    news.append(source[key].to(avg.device))
            if type(self).blend is ExponentialMovingAverage.blend:  # a lerp: one call for all
                torch._foreach_lerp_(targets, news, self.weight(steps))
            else:
                for avg, new in zip(targets, news):
                    self.blend(avg, new, steps)
        if not self.update_buffers:
            _copy_all(list(self.module.buffers()), list(model.buffers()))
        self.steps += 1  # on the buffer's device, no wait
        self._steps = steps + 1

    @torch.no_grad()
    def follow(self, model: nn.Module) -> None:
        """Make the average equal to ``model`` (before averaging starts)."""
        averaged = self.module.state_dict(keep_vars=True)
        source = model.state_dict(keep_vars=True)
        _copy_all(list(averaged.values()), [source[key] for key in averaged])


def _reread_steps(module: nn.Module, incompatible_keys: Any) -> None:
    """After ``load_state_dict``: the Python count follows the loaded ``steps`` buffer."""
    if isinstance(module, ExponentialMovingAverage):
        module._steps = int(module.steps)


def _copy_all(targets: list[torch.Tensor], sources: list[torch.Tensor]) -> None:
    """``target.copy_(source)`` for each pair, in one call (torch refuses empty lists)."""
    if targets:
        torch._foreach_copy_(targets, sources)


class MomentumAnnealingEMA(ExponentialMovingAverage):
    """EMA whose momentum starts large and anneals: ``max(momentum, gamma / (gamma + steps))``."""

    def __init__(
        self, model: nn.Module, momentum: float = 0.0002, gamma: int = 100, **kwargs: Any
    ) -> None:
        super().__init__(model, momentum, **kwargs)
        if gamma <= 0:
            raise HookAssertionError(f"MomentumAnnealingEMA gamma must be > 0, got {gamma!r}.")
        self.gamma = gamma

    def weight(self, steps: int) -> float:
        return max(self.momentum, self.gamma / (self.gamma + steps))


class StochasticWeightAverage(ExponentialMovingAverage):
    """The plain mean of all updates (SWA)."""

    def __init__(self, model: nn.Module, momentum: float = 0.5, **kwargs: Any) -> None:
        super().__init__(model, momentum, **kwargs)

    def weight(self, steps: int) -> float:
        return 1.0 / (steps // self.interval + 1)


#: the built-in averaged models (each also offered in MODELS, through an entry point)
EMA_TYPES = {
    "ExponentialMovingAverage": ExponentialMovingAverage,
    "MomentumAnnealingEMA": MomentumAnnealingEMA,
    "StochasticWeightAverage": StochasticWeightAverage,
}


class EMAHook(Hook):
    """Keep an exponential moving average of the model's weights.

    Args:
        ema_type: a name in ``MODELS``: ``'ExponentialMovingAverage'`` (default),
            ``'MomentumAnnealingEMA'``, ``'StochasticWeightAverage'`` or one registered
            there; or a class taking ``(model, momentum=, interval=, update_buffers=)``.
        momentum: weight of the new weights in each update.
        begin_iter, begin_epoch: averaging starts with the ``begin_iter``-th
            iteration and the ``begin_epoch``-th epoch (counted from 1, as
            MMEngine does; 0 or 1: from the start); before, the average
            equals the model.
        update_buffers: average buffers too (else they are copied).
        strict_load: load ``ema_state_dict`` strictly when resuming.
        interval: update every ``interval`` iterations.
        **ema_kwargs: more arguments of the average class (``gamma`` ...).
    """

    priority = Priority.NORMAL

    def __init__(
        self,
        ema_type: str | type = "ExponentialMovingAverage",
        momentum: float = 0.0002,
        begin_iter: int = 0,
        begin_epoch: int = 0,
        update_buffers: bool = False,
        strict_load: bool = False,
        interval: int = 1,
        **ema_kwargs: Any,
    ) -> None:
        if isinstance(ema_type, str):  # a name in MODELS, as MMEngine builds it
            from runner_core.registry import MODELS

            # the built-in names also without their entry points (an install whose metadata
            # predates them)
            found: type | None = MODELS.get(ema_type) or EMA_TYPES.get(ema_type)
            if found is None:
                raise HookKeyError(
                    f"EMAHook: unknown ema_type {ema_type!r}.{did_you_mean(ema_type, EMA_TYPES)} "
                    f"Known: {', '.join(EMA_TYPES)}, averaged models registered with "
                    "@MODELS.register_module() (or pass a class)."
                )
            ema_type = found
        for name, value in (("begin_iter", begin_iter), ("begin_epoch", begin_epoch)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise HookAssertionError(f"EMAHook: {name} must be an int >= 0, got {value!r}.")
        self.ema_cls = ema_type
        self.ema_cfg = dict(
            momentum=momentum, interval=interval, update_buffers=update_buffers, **ema_kwargs
        )
        # build once on a throwaway module so bad arguments fail at construction
        ema_type(nn.Linear(1, 1), **self.ema_cfg)
        self.begin_iter = begin_iter
        self.begin_epoch = begin_epoch
        self.strict_load = bool(strict_load)
        self.ema_model: ExponentialMovingAverage | None = None
        self._src_model: nn.Module | None = None
        self._swapped = False

    # -- set-up ----------------------------------------------------------------
    def before_run(self, runner: RunnerAPI) -> None:
        model = runner.unwrapped_model  # without a DDP/FSDP wrapper
        self._src_model = model
        if self.ema_model is None:
            self.ema_model = self.ema_cls(model, **self.ema_cfg)

    def before_train(self, runner: RunnerAPI) -> None:
        if runner.max_iters is not None and self.begin_iter >= runner.max_iters:
            raise HookError(
                f"EMAHook(begin_iter={self.begin_iter}) is not smaller than max_iters="
                f"{runner.max_iters}: the average would never start."
            )
        if (
            runner.max_epochs is not None
            and self.begin_epoch >= max(runner.max_epochs, 1)
            and (self.begin_epoch > 0)
        ):
            raise HookError(
                f"EMAHook(begin_epoch={self.begin_epoch}) is not smaller than max_epochs="
                f"{runner.max_epochs}: the average would never start."
            )

    def _started(self, runner: RunnerAPI) -> bool:
        # MMEngine's test: begin_iter=5 averages from the fifth iteration on
        return runner.iter + 1 >= self.begin_iter and runner.epoch + 1 >= self.begin_epoch

    # -- training --------------------------------------------------------------
    def after_train_iter(
        self,
        runner: RunnerAPI,
        batch_idx: int,
        data_batch: Any = None,
        outputs: Any = None,
    ) -> None:
        assert self.ema_model is not None and self._src_model is not None
        if self._started(runner):
            self.ema_model.update_parameters(self._src_model)
        else:
            self.ema_model.follow(self._src_model)

    # -- evaluation: the average stands in for the model ----------------------
    def before_val_epoch(self, runner: RunnerAPI) -> None:
        self._swap()

    def after_val_epoch(self, runner: RunnerAPI, metrics: dict[str, Any] | None = None) -> None:
        self._swap()

    def before_test_epoch(self, runner: RunnerAPI) -> None:
        self._swap()

    def after_test_epoch(self, runner: RunnerAPI, metrics: dict[str, Any] | None = None) -> None:
        self._swap()

    @torch.no_grad()
    def _swap(self) -> None:
        """Exchange the model's weights with the average's (in place, no copy kept)."""
        assert self.ema_model is not None and self._src_model is not None
        averaged, source = self.ema_model._tracked(self._src_model)
        for key, avg in averaged.items():
            src = source[key]
            tmp = src.data.clone()
            src.data.copy_(avg.data)
            avg.data.copy_(tmp)
        self._swapped = not self._swapped

    # -- checkpoints -----------------------------------------------------------
    def before_save_checkpoint(self, runner: RunnerAPI, checkpoint: dict) -> None:
        """Store the average as MMEngine does: averaged weights in ``state_dict``."""
        assert self.ema_model is not None
        ema_state = {k: v.detach().cpu().clone() for k, v in self.ema_model.state_dict().items()}
        checkpoint["ema_state_dict"] = ema_state
        _swap_in_checkpoint(checkpoint, self.ema_model)

    def after_load_checkpoint(self, runner: RunnerAPI, checkpoint: dict) -> None:
        assert self.ema_model is not None
        resuming = "resumed_from" in checkpoint.get("meta", {})
        if resuming and "ema_state_dict" in checkpoint:
            _swap_in_checkpoint(checkpoint, self.ema_model)  # training weights back to state_dict
            self.ema_model.load_state_dict(checkpoint["ema_state_dict"], strict=self.strict_load)
            return
        if resuming:
            runner.logger.warning(
                "The checkpoint has no ema_state_dict: EMAHook starts its average from the "
                "checkpoint's weights."
            )
        state = checkpoint.get("state_dict", checkpoint)
        own = self.ema_model.module.state_dict()
        usable = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
        self.ema_model.module.load_state_dict(usable, strict=self.strict_load)


def _swap_in_checkpoint(checkpoint: Mapping[str, Any], ema_model: ExponentialMovingAverage) -> None:
    """Exchange the tracked entries of ``state_dict`` and ``ema_state_dict`` (``module.`` keys)."""
    state, ema_state = checkpoint["state_dict"], checkpoint["ema_state_dict"]
    keys = (
        ema_model.module.state_dict().keys()
        if ema_model.update_buffers
        else dict(ema_model.module.named_parameters()).keys()
    )
    for key in keys:
        ema_key = f"module.{key}"
        if key in state and ema_key in ema_state:
            state[key], ema_state[ema_key] = ema_state[ema_key], state[key]
