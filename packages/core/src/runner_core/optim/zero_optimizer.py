"""``ZeroRedundancyOptimizer``: torch's ZeRO stage-1 optimizer, built from a config.

``optim_wrapper=dict(optimizer=dict(type='ZeroRedundancyOptimizer',
optimizer_type='AdamW', lr=1e-3))`` (MMEngine 0.10.7's name and arguments):
each rank keeps the optimizer state of about ``1 / world_size`` of the
parameters, steps those, and broadcasts them to the other ranks, so the
parameters stay those the plain optimizer would give while the per-rank
state memory shrinks. It needs an initialised process group (a distributed
run).

Checkpoints hold the whole optimizer state: :meth:`state_dict` gathers every
rank's shard on rank 0, so every rank must call it (the Runner's checkpoint
saving does); a resume gives every rank the whole state and each keeps its
shard.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch

with warnings.catch_warnings():  # torch's functional optimizers call torch.jit.script on import
    warnings.filterwarnings("ignore", r"`torch\.jit\.", DeprecationWarning)
    from torch.distributed.optim import ZeroRedundancyOptimizer as _TorchZeRO

from ..errors import ConfigError, RegistryError, did_you_mean


def _key() -> str:
    """The optimizer's config key: ``optim_wrapper.optimizer``, or a part's in a
    one-optimizer-per-part build (``optim_wrapper.generator.optimizer``)."""
    from .constructor import OPTIM_WRAPPER_KEY

    return f"{OPTIM_WRAPPER_KEY.get()}.optimizer"


class ZeroOptimizerTypeError(RegistryError, AttributeError):
    """``optimizer_type`` names no optimizer (MMEngine's ``getattr(torch.optim, ...)``:
    an AttributeError)."""


def _optimizer_class(optimizer_type: Any) -> type[torch.optim.Optimizer]:
    """The local optimizer class: a ``torch.optim`` name, a registered one, or a class."""
    if isinstance(optimizer_type, type) and issubclass(optimizer_type, torch.optim.Optimizer):
        cls: Any = optimizer_type
    elif isinstance(optimizer_type, str):
        from ..registry import OPTIMIZERS

        try:
            cls = OPTIMIZERS.lookup(optimizer_type)
        except RegistryError as exc:
            torch_names = [
                name
                for name, obj in vars(torch.optim).items()
                if isinstance(obj, type)
                and issubclass(obj, torch.optim.Optimizer)
                and obj is not torch.optim.Optimizer
            ]
            hint = did_you_mean(optimizer_type, torch_names)
            raise ZeroOptimizerTypeError(
                f"{_key()}.optimizer_type={optimizer_type!r} (ZeroRedundancyOptimizer's local "
                f"optimizer) names no optimizer.{hint} {exc}"
            ) from None
    else:
        raise ZeroOptimizerTypeError(
            f"{_key()}.optimizer_type must be an optimizer name such as 'AdamW' or 'SGD' (a "
            f"torch.optim class or a registered one); got {optimizer_type!r}."
        )
    if isinstance(cls, type) and issubclass(cls, _TorchZeRO):
        raise ZeroOptimizerTypeError(
            f"{_key()}.optimizer_type={optimizer_type!r} is ZeroRedundancyOptimizer itself; "
            "give the optimizer each rank runs on its shard, e.g. optimizer_type='AdamW'."
        )
    return cls


class ZeroRedundancyOptimizer(_TorchZeRO):
    """``torch.distributed.optim.ZeroRedundancyOptimizer`` taking the local optimizer by name.

    Args:
        params: the parameters (or param groups) to shard across the ranks.
        optimizer_type: the optimizer each rank runs on its shard: a
            ``torch.optim`` name (``'AdamW'``, ``'SGD'``), a registered
            optimizer's name, or the class.
        **kwargs: that optimizer's arguments (``lr=...``), and torch's
            ``process_group`` / ``parameters_as_bucket_view``.
    """

    def __init__(self, params: Any, optimizer_type: Any = "AdamW", **kwargs: Any) -> None:
        import torch.distributed as dist

        optimizer_class = _optimizer_class(optimizer_type)
        if not (dist.is_available() and dist.is_initialized()):
            raise ConfigError(
                f"{_key()}: ZeroRedundancyOptimizer shards the optimizer state across ranks and "
                "needs an initialised process group, and there is none. Launch with torchrun "
                "(or slurm/mpi) and Runner(launcher='pytorch'), or in one process use "
                f"optimizer=dict(type={getattr(optimizer_class, '__name__', optimizer_type)!r}, "
                "...) directly."
            )
        if kwargs.get("overlap_with_ddp"):
            raise ConfigError(
                f"{_key()}.overlap_with_ddp=True needs a DDP communication hook the Runner does "
                "not register; remove it (the default False steps after backward)."
            )
        super().__init__(list(params), optimizer_class, **kwargs)
        # torch keeps only the given arguments here; the local optimizer's full defaults
        # are what a plain optimizer reports (and what the optim wrapper's base settings copy)
        self.defaults = dict(self.optim.defaults)

    def state_dict(self) -> dict[str, Any]:
        """The whole optimizer state on rank 0 (``{}`` on the others).

        A collective: every rank of the group must call it, as a checkpoint save does.
        """
        self.consolidate_state_dict(to=0)
        return super().state_dict() if self.rank == 0 else {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Keep this rank's shard of the whole state :meth:`state_dict` gave on rank 0."""
        if "state" not in state_dict or "param_groups" not in state_dict:
            raise ConfigError(
                "ZeroRedundancyOptimizer.load_state_dict needs the whole optimizer state, as "
                f"rank 0's state_dict() returns it (keys 'state' and 'param_groups'); got the "
                f"keys {sorted(state_dict)}."
            )
        # torch clears the other ranks' entries in place: leave the caller's dict as it was
        super().load_state_dict({**state_dict, "state": dict(state_dict["state"])})
