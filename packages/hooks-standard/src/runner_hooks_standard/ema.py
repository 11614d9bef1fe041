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

The averaged models themselves are ``runner_core.model``'s (re-exported here).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from runner_core.contract import RunnerAPI
from runner_core.errors import HookAssertionError, HookKeyError, did_you_mean
from runner_core.hooks import Hook, Priority, copies_checkpoint
from runner_core.model.averaged_model import (
    BaseAveragedModel,
    ExponentialMovingAverage,
    MomentumAnnealingEMA,
    StochasticWeightAverage,
)

__all__ = [
    "BaseAveragedModel",
    "EMAHook",
    "ExponentialMovingAverage",
    "MomentumAnnealingEMA",
    "StochasticWeightAverage",
]

#: the built-in averaged models (runner_core's, each also offered in MODELS through its
#: entry point)
EMA_TYPES = {
    "ExponentialMovingAverage": ExponentialMovingAverage,
    "MomentumAnnealingEMA": MomentumAnnealingEMA,
    "StochasticWeightAverage": StochasticWeightAverage,
}


#: why a point other than before_run fails on a hook whose before_run has not run
_NOT_SET_UP = (
    "EMAHook: before_run builds the averaged model from runner.model; call "
    "hook.before_run(runner) before the hook's other points (a Runner does)."
)


class EMAHook(Hook):
    """Keep an exponential moving average of the model's weights.

    The positional parameters are MMEngine's, in its order (``ema_type``,
    ``strict_load``, ``begin_iter``, ``begin_epoch``); the averaged model's arguments
    (``momentum``, ``update_buffers``, ``interval`` ...) are keyword-only, as MMEngine
    takes them through ``**kwargs``.

    Args:
        ema_type: a name in ``MODELS``: ``'ExponentialMovingAverage'`` (default),
            ``'MomentumAnnealingEMA'``, ``'StochasticWeightAverage'`` or one registered
            there; or a class taking ``(model, momentum=, interval=, update_buffers=)``.
        strict_load: load ``ema_state_dict`` strictly when resuming.
        begin_iter, begin_epoch: averaging starts with the ``begin_iter``-th
            iteration and the ``begin_epoch``-th epoch (counted from 1, as
            MMEngine does; 0 or 1: from the start); before, the average
            equals the model.
        momentum: weight of the new weights in each update.
        update_buffers: average buffers too (else they are copied).
        interval: update every ``interval`` iterations.
        **ema_kwargs: more arguments of the average class (``gamma`` ...).
    """

    priority: int | str = Priority.NORMAL

    def __init__(
        self,
        ema_type: str | type = "ExponentialMovingAverage",
        strict_load: bool = False,
        begin_iter: int = 0,
        begin_epoch: int = 0,
        *,  # the averaged model's arguments, keywords as in MMEngine's **kwargs
        momentum: float = 0.0002,
        update_buffers: bool = False,
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
        _check_ema_arguments(ema_type, self.ema_cfg)
        # build once on a throwaway module so bad arguments fail at construction; its
        # weights drawn from nothing random, so adding the hook leaves the seeded stream (and
        # the model's starting weights) as they are
        ema_type(nn.utils.skip_init(nn.Linear, 1, 1), **self.ema_cfg)
        self.begin_iter = begin_iter
        self.begin_epoch = begin_epoch
        self.strict_load = bool(strict_load)
        self.ema_model: BaseAveragedModel | None = None
        #: the model the average follows (without a DDP/FSDP wrapper), set in before_run
        self.src_model: nn.Module | None = None
        self._swapped = False

    # -- set-up ----------------------------------------------------------------
    def before_run(self, runner: RunnerAPI) -> None:
        model = runner.unwrapped_model  # without a DDP/FSDP wrapper
        self.src_model = model
        if self.ema_model is None:
            self.ema_model = self.ema_cls(model, **self.ema_cfg)

    def before_train(self, runner: RunnerAPI) -> None:
        # begin_iter / begin_epoch count from 1: equal to max_iters / max_epochs averages
        # the last iteration / epoch, as MMEngine allows (its check is <=)
        if runner.max_iters is not None and self.begin_iter > runner.max_iters:
            raise HookAssertionError(  # MMEngine asserts
                f"EMAHook(begin_iter={self.begin_iter}) is larger than max_iters="
                f"{runner.max_iters}: the average would never start."
            )
        if runner.max_epochs is not None and self.begin_epoch > max(runner.max_epochs, 1):
            raise HookAssertionError(  # MMEngine asserts
                f"EMAHook(begin_epoch={self.begin_epoch}) is larger than max_epochs="
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
        assert self.ema_model is not None and self.src_model is not None, _NOT_SET_UP
        if self._started(runner):
            self.ema_model.update_parameters(self.src_model)
        else:
            self.ema_model.follow(self.src_model)

    # -- evaluation: the average stands in for the model ----------------------
    def before_val_epoch(self, runner: RunnerAPI) -> None:
        self._swap()

    def after_val_epoch(self, runner: RunnerAPI, metrics: dict[str, Any] | None = None) -> None:
        self._swap()

    def before_test_epoch(self, runner: RunnerAPI) -> None:
        self._swap()

    def after_test_epoch(self, runner: RunnerAPI, metrics: dict[str, Any] | None = None) -> None:
        self._swap()

    def on_exception(self, runner: RunnerAPI, exception: BaseException) -> None:
        """A validation or test that failed (or was interrupted) between its two swaps
        left the averaged weights in the model: swap the training weights back, so a
        checkpoint saved now, or a ``train()`` run again in the same process, has them."""
        if self._swapped:
            self._swap()
            runner.logger.info(
                "EMAHook: the run stopped during validation or testing; the model has its "
                "training weights back (the averaged ones were swapped in)."
            )

    @torch.no_grad()
    def _swap(self) -> None:
        """Exchange the model's weights with the average's (in place, no copy kept)."""
        assert self.ema_model is not None and self.src_model is not None, _NOT_SET_UP
        averaged, source = self.ema_model.tracked(self.src_model)
        for key, avg in averaged.items():
            src = source[key]
            tmp = src.data.clone()
            src.data.copy_(avg.data)
            avg.data.copy_(tmp)
        self._swapped = not self._swapped

    # MMEngine's names, for subclasses written for it (mmpretrain's EMAHook)
    _swap_ema_parameters = _swap

    def _swap_ema_state_dict(self, checkpoint: dict) -> None:
        """Exchange the model's and the average's weights in ``checkpoint`` (MMEngine's name)."""
        assert self.ema_model is not None, _NOT_SET_UP
        _swap_in_checkpoint(checkpoint, self.ema_model)

    # -- checkpoints -----------------------------------------------------------
    def before_save_checkpoint(self, runner: RunnerAPI, checkpoint: dict) -> None:
        """Store the average as MMEngine does: averaged weights in ``state_dict``."""
        assert self.ema_model is not None, _NOT_SET_UP
        # the average itself, not a copy: a synchronous save writes it before the next update
        # (and puts a GPU's on the CPU, as it does the weights); an async one's snapshot copies
        # it with the rest, from a GPU without waiting for the device here
        checkpoint["ema_state_dict"] = dict(self.ema_model.state_dict())
        if not self._swapped:
            _swap_in_checkpoint(checkpoint, self.ema_model)
        # else: saved during validation (a hook's runner.save_checkpoint between
        # before_val_epoch and after_val_epoch): the model holds the average and the
        # average model the training weights, which is already the saved layout

    @copies_checkpoint  # reads it, copies into the model: the file may be mapped
    def after_load_checkpoint(self, runner: RunnerAPI, checkpoint: dict) -> None:
        if self.ema_model is None:
            # weights loaded before the run (runner.load_checkpoint / load_or_resume()):
            # before_run builds the average from the model, loaded weights included
            return
        resuming = "resumed_from" in checkpoint.get("meta", {})
        if resuming and "ema_state_dict" in checkpoint:
            _refuse_resized_average(checkpoint, self.ema_model)
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


def _refuse_resized_average(checkpoint: Mapping[str, Any], ema_model: BaseAveragedModel) -> None:
    """Refuse a resumed ``ema_state_dict`` whose tensors no longer fit the averaged model
    (a layer resized since the save), naming the file, the key and both shapes.

    torch's ``load_state_dict`` raises a bare size-mismatch error here, and this point
    runs before the runner's own check of the optimizer state (hooks see the checkpoint
    first, as in MMEngine, and may rewrite it), which would have named the file.
    """
    from runner_core.checkpoint import CheckpointError

    own = ema_model.state_dict()
    for key, saved in checkpoint["ema_state_dict"].items():
        shape, now = getattr(saved, "shape", None), getattr(own.get(key), "shape", None)
        if shape is None or now is None or tuple(shape) == tuple(now):
            continue
        path = checkpoint["meta"]["resumed_from"]
        raise CheckpointError(
            f"Cannot resume from {path!r}: its EMA state {key!r} (ema_state_dict) has shape "
            f"{tuple(shape)}, EMAHook's averaged model has {tuple(now)} (the layer was "
            "resized since it was saved). Resume with the config the checkpoint was saved "
            f"with, or start from its weights with load_from={path!r} and resume=False (a "
            "fresh optimizer and average)."
        )


def warn_unused_ema_state(runner: RunnerAPI, checkpoint: Mapping[str, Any]) -> None:
    """Warn when a resumed checkpoint holds EMA state that no hook of this run takes.

    An EMAHook saves the average in ``state_dict`` (MMEngine's layout) and
    the training weights in ``ema_state_dict``; resumed without the hook, the
    run silently goes on training the averaged weights, as MMEngine's does.
    Called at resume by the checkpoint hook (present in almost every run), as
    the EMAHook itself is what is missing.
    """
    meta = checkpoint.get("meta")
    if not isinstance(meta, Mapping) or "resumed_from" not in meta:
        return  # not a resume (load_from reads the averaged weights, as intended)
    if "ema_state_dict" not in checkpoint:
        return
    if any(isinstance(h, EMAHook) or hasattr(h, "ema_model") for h in runner.hooks):
        return  # the hook (or one of MMEngine's kind, with its ema_model) restores it
    runner.logger.warning(
        "Resuming from %s: it holds EMA state (ema_state_dict, saved by an EMAHook) that "
        "no hook of this run uses. Training continues from the weights in its state_dict, "
        "which are the averaged ones (an EMAHook saves the average there, as MMEngine "
        "does), not the training weights in ema_state_dict, and the average is not kept "
        "on. Add the same EMAHook to custom_hooks to resume both, or use "
        "load_from=<this file> without resume to start from the averaged weights on purpose.",
        meta["resumed_from"],
    )


def _check_ema_arguments(ema_cls: Any, ema_cfg: Mapping[str, Any]) -> None:
    """Refuse an argument the averaged model does not take, naming it and the closest one.

    The averaged models pass ``**kwargs`` on to their base class, so a typo
    (``gama=10``) would otherwise surface as a bare TypeError naming the base
    class. The arguments it takes are gathered along its bases, up to the
    first ``__init__`` without ``**kwargs``; a class whose chain never ends
    there is left to the trial build.
    """
    import inspect

    from runner_core.errors import BuildError
    from runner_core.registry import check_arguments

    if not isinstance(ema_cls, type):
        return
    taken: dict[str, inspect.Parameter] = {}
    for klass in ema_cls.__mro__:
        init = vars(klass).get("__init__")
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters
        except (TypeError, ValueError):
            return
        for name, param in list(params.items())[1:]:  # after self
            if param.kind not in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                taken.setdefault(name, param.replace(kind=param.KEYWORD_ONLY))
        if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            break
    else:
        return

    def arguments(**kwargs: Any) -> None:  # stands for the class in check_arguments
        del kwargs

    arguments.__signature__ = inspect.Signature(list(taken.values()))  # type: ignore[attr-defined]
    arguments.__module__, arguments.__qualname__ = ema_cls.__module__, ema_cls.__qualname__
    try:
        check_arguments(arguments, {"model": None, **ema_cfg})
    except BuildError as exc:
        raise BuildError(
            f"EMAHook(ema_type={ema_cls.__name__!r}): {exc} EMAHook passes the arguments it "
            "does not take itself (ema_type, momentum, begin_iter, begin_epoch, "
            "update_buffers, strict_load, interval) to its averaged model."
        ) from None


def _swap_in_checkpoint(checkpoint: Mapping[str, Any], ema_model: BaseAveragedModel) -> None:
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
