"""``BaseOptimWrapper``: the interface every optim wrapper offers, as MMEngine's abstract base.

Models call ``update_params``; schedulers read ``param_groups`` and
``defaults``; loggers ``get_lr()`` / ``get_momentum()``; checkpoints
``state_dict()`` / ``load_state_dict()``. A wrapper of one's own (another
library's optimizer, a custom step) subclasses this and implements the four
abstract methods; ``OptimWrapper`` is the one most code uses.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

import torch
from torch.optim import Optimizer


class BaseOptimWrapper(metaclass=ABCMeta):
    """Hold an optimizer; subclasses say how a loss turns into a parameter update.

    Args:
        optimizer: the ``torch.optim.Optimizer`` to drive.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        #: MMEngine's base settings: with several param groups (``paramwise_cfg``), a
        #: group outside the optimizer holds the configured values; the schedulers move
        #: it with the others (``scheduled_groups``), so ``get_lr()['base_lr']`` and the
        #: logs show the schedule itself beside param group 0's multiplied ``lr``. Unlike
        #: MMEngine's, it is not in ``param_groups``, which holds real groups only.
        self.base_param_settings: dict[str, Any] | None = None
        if len(optimizer.param_groups) > 1:
            self.base_param_settings = {"params": torch.tensor([0.0]), **optimizer.defaults}

    # -- the training step (each wrapper's own) -------------------------------
    @abstractmethod
    def update_params(self, *args: Any, **kwargs: Any) -> None:
        """Turn a loss into a parameter update (backward, and step when due)."""

    @abstractmethod
    def backward(self, loss: torch.Tensor, **kwargs: Any) -> None:
        """Back-propagate ``loss``."""

    @abstractmethod
    def zero_grad(self, **kwargs: Any) -> None:
        """Clear the gradients of the optimizer's parameters."""

    @abstractmethod
    def step(self, **kwargs: Any) -> None:
        """Step the optimizer."""

    # -- what hooks and schedulers read ---------------------------------------
    @property
    def param_groups(self) -> list[dict[str, Any]]:
        return self.optimizer.param_groups

    @property
    def defaults(self) -> dict[str, Any]:
        return self.optimizer.defaults

    def get_lr(self) -> dict[str, list[float]]:
        """``{'lr': [lr of each param group]}``, and ``'base_lr'`` first with several groups."""
        lrs = {"lr": [float(group["lr"]) for group in self.optimizer.param_groups]}
        if self.base_param_settings is not None:
            return {"base_lr": [float(self.base_param_settings["lr"])], **lrs}
        return lrs

    def get_momentum(self) -> dict[str, list[float]]:
        """``{'momentum': [...]}``: SGD's momentum, Adam's ``betas[0]``, else 0."""
        momentum = []
        for group in self.optimizer.param_groups:
            if "momentum" in group:
                momentum.append(float(group["momentum"]))
            elif "betas" in group:
                momentum.append(float(group["betas"][0]))
            else:
                momentum.append(0.0)
        return {"momentum": momentum}

    # -- checkpoints ----------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state dict (what a checkpoint stores under ``optimizer``).

        The base settings are saved too, under MMEngine's key ``base_param_settings``.
        """
        state = self.optimizer.state_dict()
        if self.base_param_settings is not None:
            state["base_param_settings"] = dict(self.base_param_settings)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load what :meth:`state_dict` returned (or MMEngine's optimizer state)."""
        base = state_dict.get("base_param_settings")
        if base is not None:
            state_dict = {k: v for k, v in state_dict.items() if k != "base_param_settings"}
            if self.base_param_settings is not None:
                self.base_param_settings.update(base)
        self.optimizer.load_state_dict(state_dict)
