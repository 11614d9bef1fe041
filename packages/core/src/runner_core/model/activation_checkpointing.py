"""``activation_checkpointing``: recompute named sub-modules' activations in backward.

The config's top-level ``activation_checkpointing=['backbone.layer1', ...]``
(MMEngine 0.10.7's key) trades compute for memory: the named sub-modules
keep only their inputs during the forward pass and run their forward again
when backward needs the activations. Losses and gradients do not change.

Names are dotted paths as ``model.named_modules()`` prints them
(``'backbone.layer1.0'``), resolved on the model without its DDP/FSDP wrapper.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from ..errors import ConfigAttributeError, ConfigTypeError, did_you_mean


class SubmoduleNotFoundError(ConfigAttributeError):
    """A config names a sub-module the model does not have.

    An ``AttributeError`` too, as MMEngine's ``attrgetter`` lookup raises.
    """


def module_names(modules: Any, key: str) -> list[str]:
    """``modules`` (one name or a list of names) as a list, or a ConfigTypeError naming ``key``."""
    names = [modules] if isinstance(modules, str) else modules
    if not isinstance(names, Sequence) or not all(isinstance(n, str) for n in names):
        raise ConfigTypeError(
            f"{key} must be a sub-module name or a list of them (dotted paths as "
            f"model.named_modules() prints them, e.g. {key}=['backbone.layer1']); "
            f"got {modules!r}."
        )
    return list(names)


def find_submodules(model: nn.Module, modules: Any, key: str) -> dict[str, nn.Module]:
    """The sub-modules ``modules`` names, all resolved before any is changed.

    A name that matches nothing is a :class:`SubmoduleNotFoundError` naming it
    and ``key``, with the closest names the model has.
    """
    found: dict[str, nn.Module] = {}
    for name in module_names(modules, key):
        try:
            found[name] = model.get_submodule(name)
        except AttributeError:
            known = [n for n, _ in model.named_modules() if n]
            raise SubmoduleNotFoundError(
                f"{key} names {name!r}, which is not a sub-module of {type(model).__name__}."
                f"{did_you_mean(name, known)} Names are dotted paths as "
                "model.named_modules() prints them (e.g. 'backbone.layer1.0'), without a "
                "DDP wrapper's 'module.' prefix."
            ) from None
    return found


class CheckpointedForward:
    """A module's forward run under ``torch.utils.checkpoint`` while autograd records.

    An object holding the module (not a closure over it), so ``copy.deepcopy``
    of the model (an EMA copy) gives a copy whose forward runs the copy's
    weights, and a pickled model loads with its checkpointing.

    Args:
        module: the module whose forward this is.
        inner: the forward to run: one set on the instance before (an
            efficient conv-BN graph), or None for the class's own.
    """

    def __init__(self, module: nn.Module, inner: Any = None) -> None:
        self.module = module
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        forward = self.inner
        if forward is None:
            forward = types.MethodType(type(self.module).forward, self.module)
        if not torch.is_grad_enabled():
            return forward(*args, **kwargs)  # nothing is kept for backward: nothing to save
        from torch.utils.checkpoint import checkpoint

        return checkpoint(forward, *args, use_reentrant=False, **kwargs)


def is_checkpointed(module: nn.Module) -> bool:
    """Whether :func:`turn_on_activation_checkpointing` has wrapped ``module``'s forward."""
    return isinstance(vars(module).get("forward"), CheckpointedForward)


def set_forward(module: nn.Module, forward: Any) -> None:
    """Give ``module`` a new forward, inside the checkpointing if it has it (kept outermost)."""
    current = vars(module).get("forward")
    if isinstance(current, CheckpointedForward):
        current.inner = forward
    else:
        module.forward = forward


def turn_on_activation_checkpointing(model: nn.Module, modules: str | Sequence[str]) -> None:
    """Run each named sub-module's forward under activation checkpointing.

    ``modules`` is one dotted name or a list of them. While gradients are
    recorded, each named module keeps only its inputs and recomputes its
    activations in backward (``torch.utils.checkpoint.checkpoint`` with
    ``use_reentrant=False``, random state preserved, so dropout draws the same
    mask twice). Under ``torch.no_grad()`` (validation) the plain forward runs.
    A module already checkpointed is left as it is (a second ``train()``).
    """
    for module in find_submodules(model, modules, "activation_checkpointing").values():
        if not is_checkpointed(module):
            module.forward = CheckpointedForward(module, vars(module).get("forward"))
