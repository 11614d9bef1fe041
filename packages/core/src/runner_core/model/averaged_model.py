"""Averaged models: a copy of a model whose weights track an average of its weights.

``EMAHook`` (runner-hooks-standard) keeps one and evaluates it in place of
the model; they live here, with the model classes, because MMEngine users
import them from ``mmengine.model`` and build them from ``MODELS``.

``steps`` counts updates; the first update copies the model, later ones
(every ``interval``-th) blend the new weights in. With
``update_buffers=False`` buffers (BatchNorm statistics) are copied from the
model instead of averaged. ``device`` keeps the average on another device
than the model (MMEngine's ``device=``: e.g. ``'cpu'`` to spare GPU memory).
"""

from __future__ import annotations

import copy
import numbers
import weakref
from typing import Any, cast

import torch
from torch import nn

from ..errors import HookAssertionError, HookError, HookTypeError


def _require_number(value: Any, what: str, example: str) -> Any:
    """The number ``value`` holds; a non-number (``momentum='0.001'``) fails comparing it:
    a TypeError naming the option. A 0-d tensor is read as its number, as MMEngine's
    arithmetic with it works."""
    if (
        isinstance(value, torch.Tensor)
        and value.ndim == 0
        and not value.is_complex()
        and value.dtype != torch.bool
    ):
        return value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise HookTypeError(
            f"{what} must be a number, got {value!r}; e.g. "
            f"custom_hooks=[dict(type='EMAHook', {example})]."
        )
    return value


class BaseAveragedModel(nn.Module):
    """The averaging machinery; a subclass says how a tensor moves toward the model's.

    A rule that is a ``lerp`` overrides :meth:`weight` (the weight of the new
    values); every tensor is then updated in one ``torch._foreach_lerp_``
    call. Another rule overrides :meth:`blend` or MMEngine's
    :meth:`avg_func` (called per tensor, in place).
    """

    def __init__(
        self,
        model: nn.Module,
        interval: int = 1,
        device: torch.device | str | None = None,
        update_buffers: bool = False,
    ) -> None:
        super().__init__()
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise HookError(
                f"{type(self).__name__} interval must be a positive int, got {interval!r}."
            )
        self.module = copy.deepcopy(model).requires_grad_(False)
        if device is not None:
            self.module = self.module.to(device)
        self.device = None if device is None else torch.device(device)
        self.interval = interval
        self.update_buffers = bool(update_buffers)
        self.steps: torch.Tensor
        self.register_buffer("steps", torch.tensor(0, dtype=torch.long, device=device))
        # The count as a Python int too: reading the buffer every iteration would wait
        # for the device it lives on. The buffer is what checkpoints hold; loading one
        # re-reads it (once).
        self._steps = 0
        self.register_load_state_dict_post_hook(_reread_steps)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The averaged model's forward."""
        return self.module(*args, **kwargs)

    def tracked(self, model: nn.Module) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """The averaged tensors and ``model``'s matching ones, by name (what updates and swaps touch).

        Parameters only, or parameters and buffers with ``update_buffers``; the
        tensors themselves, so in-place changes reach the models.
        """
        if self.update_buffers:  # keep_vars: the tensors themselves, no detached view per entry
            return self.module.state_dict(keep_vars=True), model.state_dict(keep_vars=True)
        return dict(self.module.named_parameters()), dict(model.named_parameters())

    def weight(self, steps: int) -> float:
        """The weight of the new values in update number ``steps`` (``lerp``'s ``weight``)."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement weight(steps) (a lerp rule) or "
            "avg_func(averaged_param, source_param, steps)."
        )

    def blend(self, averaged: torch.Tensor, source: torch.Tensor, steps: int) -> None:
        """Move ``averaged`` toward ``source`` in place."""
        averaged.lerp_(source, self.weight(steps))

    def avg_func(
        self, averaged_param: torch.Tensor, source_param: torch.Tensor, steps: int
    ) -> None:
        """MMEngine's name for :meth:`blend`: a subclass written for MMEngine overrides this."""
        self.blend(averaged_param, source_param, steps)

    def _pairs(self, model: nn.Module) -> _Pairs:
        """The tensors an update touches, walked from both models once and then reused.

        Walking ``named_parameters()`` / ``buffers()`` of both models every
        iteration was most of an update's Python work on a small model. The
        lists are kept with where each tensor lives (its module's
        ``_parameters`` / ``_buffers`` dict and key, and each module in its
        parent's ``_modules``) and checked there by identity every update, in
        C: a tensor or submodule replaced or added (``setattr``, an ``_apply``
        that does not keep it, ``load_state_dict(assign=True)``), another
        ``model``, or a move of either model's first tensor to another device
        rebuilds them.
        """
        cached = _PAIRS.get(self)
        if (
            cached is None
            or cached.model_ref() is not model
            or cached.entry_ids() != cached.ids
            or list(map(len, cached.tables)) != cached.sizes
            or (cached.first_averaged.device, cached.first_source.device) != cached.devices
        ):
            cached = _PAIRS[self] = _Pairs(self, model)
        return cached

    @torch.no_grad()
    def update_parameters(self, model: nn.Module) -> None:
        """One update from ``model`` (the first copies it)."""
        pairs = self._pairs(model)
        steps = self._steps
        if steps == 0:
            _copy_all(pairs.all_averaged, pairs.all_source)
        elif steps % self.interval == 0:
            targets, news = pairs.targets, pairs.news
            if not pairs.same_device:
                news = [new.to(avg.device) for avg, new in zip(targets, news)]
            cls = type(self)
            if cls.blend is BaseAveragedModel.blend and cls.avg_func is BaseAveragedModel.avg_func:
                torch._foreach_lerp_(targets, news, self.weight(steps))  # a lerp: one call
            else:
                for avg, new in zip(targets, news):
                    self.avg_func(avg, new, steps)
        if not self.update_buffers:
            _copy_all(pairs.buffers_averaged, pairs.buffers_source)
        # on the buffer's device, no wait; in place, as ``self.steps += 1`` ends, without the
        # nn.Module attribute lookup and re-registration of the buffer
        cast(torch.Tensor, self._buffers["steps"]).add_(1)
        self._steps = steps + 1

    @torch.no_grad()
    def follow(self, model: nn.Module) -> None:
        """Make the average equal to ``model`` (before averaging starts)."""
        averaged = self.module.state_dict(keep_vars=True)
        source = model.state_dict(keep_vars=True)
        _copy_all(list(averaged.values()), [source[key] for key in averaged])


class _Pairs:
    """What one update of an averaged model from ``model`` touches (see ``_pairs``)."""

    def __init__(self, averaged_model: BaseAveragedModel, model: nn.Module) -> None:
        self.model_ref = weakref.ref(model)
        # every parameter, buffer and submodule table of both models, and each entry in them,
        # watched: a submodule replaced (``model.head = ...``) changes its parent's entry
        self.tables = [
            table
            for module in (averaged_model.module, model)
            for sub in module.modules()
            for table in (sub._parameters, sub._buffers, sub._modules)
        ]
        self.sizes = list(map(len, self.tables))
        self.owners: list[dict[str, Any]] = [table for table in self.tables for _ in table]
        self.names = [name for table in self.tables for name in table]
        self.ids = self.entry_ids()
        averaged, source = averaged_model.tracked(model)
        self.all_averaged = list(averaged.values())
        self.all_source = [source[key] for key in averaged]
        floating = [key for key, avg in averaged.items() if avg.dtype.is_floating_point]
        self.targets = [averaged[key] for key in floating]
        self.news = [source[key] for key in floating]
        self.same_device = all(t.device == n.device for t, n in zip(self.targets, self.news))
        self.buffers_averaged = list(averaged_model.module.buffers())
        self.buffers_source = list(model.buffers())
        # moving a model by ``.data`` (``model.cuda()`` keeps the Parameter objects) replaces
        # nothing: the first tensor of each side is watched for its device
        empty = torch.empty(0)
        self.first_averaged = next(iter(self.all_averaged), empty)
        self.first_source = next(iter(self.all_source), empty)
        self.devices = (self.first_averaged.device, self.first_source.device)

    def entry_ids(self) -> list[int]:
        """The ids of what the watched tables hold now (None's for a removed entry), looked
        up in C: no Python loop per tensor."""
        return list(map(id, map(cast(Any, dict.get), self.owners, self.names)))


#: each averaged model's ``_Pairs``, outside the module: copies and pickles go without it
_PAIRS: weakref.WeakKeyDictionary[BaseAveragedModel, _Pairs] = weakref.WeakKeyDictionary()


def _reread_steps(module: nn.Module, incompatible_keys: Any) -> None:
    """After ``load_state_dict``: the Python count follows the loaded ``steps`` buffer."""
    if isinstance(module, BaseAveragedModel):
        module._steps = int(module.steps)


def _copy_all(targets: list[torch.Tensor], sources: list[torch.Tensor]) -> None:
    """``target.copy_(source)`` for each pair, in one call (torch refuses empty lists)."""
    if not targets:
        return
    if all(t.device == s.device for t, s in zip(targets, sources)):
        torch._foreach_copy_(targets, sources)
    else:  # an average on another device (device=): copy_ moves each tensor
        for target, source in zip(targets, sources):
            target.copy_(source)


class ExponentialMovingAverage(BaseAveragedModel):
    """``ema = (1 - momentum) * ema + momentum * w``: MMEngine's convention, ``momentum``
    is the weight of the *new* value."""

    def __init__(
        self,
        model: nn.Module,
        momentum: float = 0.0002,
        interval: int = 1,
        device: torch.device | str | None = None,
        update_buffers: bool = False,
    ) -> None:
        momentum = _require_number(momentum, f"{type(self).__name__} momentum", "momentum=0.0002")
        if not 0.0 < momentum < 1.0:
            raise HookAssertionError(
                f"{type(self).__name__} momentum must be in (0, 1), got {momentum!r}. It is the "
                "weight of the new weights in each update (MMEngine's convention; 0.0002 is "
                "typical)."
            )
        if momentum > 0.5:  # timm's decay=0.999 is 1 - momentum here: say so, as MMEngine does
            from ..logging import RunLogger

            RunLogger.get_current_instance().warning(
                f"{type(self).__name__} momentum={momentum} is the weight of the new weights in "
                "each update (MMEngine's convention), usually small, e.g. 0.0002; a decay such "
                f"as timm's 0.999 is momentum={1 - momentum:g} here. Check the value."
            )
        super().__init__(model, interval, device, update_buffers)
        self.momentum = float(momentum)

    def weight(self, steps: int) -> float:
        return self.momentum


class MomentumAnnealingEMA(ExponentialMovingAverage):
    """EMA whose momentum starts large and anneals: ``max(momentum, gamma / (gamma + steps))``."""

    def __init__(
        self,
        model: nn.Module,
        momentum: float = 0.0002,
        gamma: int = 100,
        interval: int = 1,
        device: torch.device | str | None = None,
        update_buffers: bool = False,
    ) -> None:
        super().__init__(model, momentum, interval, device, update_buffers)
        gamma = _require_number(
            gamma, "MomentumAnnealingEMA gamma", "ema_type='MomentumAnnealingEMA', gamma=100"
        )
        if gamma <= 0:
            raise HookAssertionError(f"MomentumAnnealingEMA gamma must be > 0, got {gamma!r}.")
        self.gamma = gamma

    def weight(self, steps: int) -> float:
        return max(self.momentum, self.gamma / (self.gamma + steps))


class StochasticWeightAverage(ExponentialMovingAverage):
    """The plain mean of all updates (SWA).

    MMEngine's arguments and order; ``momentum`` is also accepted, by keyword
    only (``EMAHook`` passes it to every averaged model), and unused.
    """

    def __init__(
        self,
        model: nn.Module,
        interval: int = 1,
        device: torch.device | str | None = None,
        update_buffers: bool = False,
        *,
        momentum: float = 0.5,
    ) -> None:
        super().__init__(model, momentum, interval, device, update_buffers)

    def weight(self, steps: int) -> float:
        return 1.0 / (steps // self.interval + 1)
