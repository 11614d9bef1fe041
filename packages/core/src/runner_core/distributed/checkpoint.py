"""Checkpoints of sharded (FSDP2) models: full and sharded state dicts.

An FSDP2 model's ``state_dict()`` holds DTensor shards: each rank sees only
its slice, so the plain ``torch.save`` on rank 0 would store half a model.
Two ways out, both collective (every rank must call them):

* **full** (what the Runner's checkpoints use): gather the whole model and the
  whole optimizer state onto rank 0 as plain CPU tensors, in exactly the
  layout of a single-process checkpoint (optimizer state keyed by parameter
  index). Such a checkpoint loads into a single-process model with
  ``load_state_dict`` and resumes a run with any number of ranks.
* **sharded** (``save_sharded`` / ``save_sharded_async`` / ``load_sharded``): every rank writes its own
  shards with ``torch.distributed.checkpoint``: no gather, no rank-0 memory
  peak, for models that do not fit one process. ``consolidate_sharded``
  turns such a folder into one ``torch.save`` file offline.

Optimizer state goes through ``torch.distributed.checkpoint.state_dict``'s
``get_state_dict`` / ``set_state_dict``, which keep every per-parameter buffer
(SGD momentum, Adam's moments).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_state_dict,
    set_optimizer_state_dict,
    set_state_dict,
)


def _param_order(model: nn.Module, optimizer: torch.optim.Optimizer) -> list[str]:
    """The optimizer's parameters as model names, in ``optimizer.state_dict()`` order."""
    names = {id(p): name for name, p in model.named_parameters()}
    order = []
    for group in optimizer.param_groups:
        for param in group["params"]:
            if id(param) not in names:
                raise ValueError(
                    "The optimizer holds a parameter that is not in the model: build the "
                    "optimizer from the sharded model (runner.unwrapped_model)."
                )
            order.append(names[id(param)])
    return order


def _names_to_indices(state: Mapping[str, Any], order: list[str]) -> dict[str, Any]:
    """Optimizer state keyed by names -> keyed by index (``torch.optim`` layout)."""
    index = {name: i for i, name in enumerate(order)}
    groups = []
    for group in state["param_groups"]:
        groups.append({**group, "params": [index[name] for name in group["params"]]})
    return {
        "state": {index[name]: value for name, value in state["state"].items()},
        "param_groups": groups,
    }


def _indices_to_names(state: Mapping[str, Any], order: list[str]) -> dict[str, Any]:
    """The inverse of ``_names_to_indices``; name-keyed input passes through."""
    groups = []
    for group in state["param_groups"]:
        groups.append(
            {**group, "params": [order[p] if isinstance(p, int) else p for p in group["params"]]}
        )
    return {
        "state": {
            (order[k] if isinstance(k, int) else k): v for k, v in state.get("state", {}).items()
        },
        "param_groups": groups,
    }


def full_state_dicts(
    model: nn.Module, optimizer: torch.optim.Optimizer | None = None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Gather ``(model_state, optimizer_state)`` as plain CPU tensors on rank 0.

    Collective. Other ranks get empty dicts. The optimizer state has the layout
    of ``optimizer.state_dict()`` in a single process.
    """
    options = StateDictOptions(full_state_dict=True, cpu_offload=True)
    optimizers = [optimizer] if optimizer is not None else []
    model_state, optim_state = get_state_dict(model, optimizers, options=options)
    if optimizer is None:
        return model_state, None
    if not optim_state:
        return model_state, {}
    return model_state, _names_to_indices(optim_state, _param_order(model, optimizer))


def load_full_state_dicts(
    model: nn.Module,
    model_state: Mapping[str, Any],
    optimizer: torch.optim.Optimizer | None = None,
    optim_state: Mapping[str, Any] | None = None,
    strict: bool = True,
) -> None:
    """Load full (unsharded) state dicts into a sharded model and its optimizer.

    Collective. Every rank passes the full dicts (each rank read the same
    checkpoint file); each keeps its own slice.
    """
    _copy_full_into_shards(model, model_state, strict)
    if optimizer is None or not optim_state:
        return
    named = _indices_to_names(optim_state, _param_order(model, optimizer))
    set_optimizer_state_dict(
        model, [optimizer], named, options=StateDictOptions(full_state_dict=True, strict=strict)
    )


def _copy_full_into_shards(model: nn.Module, full: Mapping[str, Any], strict: bool) -> None:
    """Copy each full tensor's slice into this rank's shard, in place.

    In place, so FSDP's own storage and the optimizer's parameters stay the
    very same tensors (``model.load_state_dict`` may swap them).
    """
    from torch.distributed.tensor import DTensor, distribute_tensor

    own = model.state_dict()
    missing = [k for k in own if k not in full]
    unexpected = [k for k in full if k not in own]
    if strict and (missing or unexpected):
        raise ValueError(
            f"The checkpoint does not fit the sharded model: missing keys {missing}, "
            f"unexpected keys {unexpected}."
        )
    with torch.no_grad():
        for name, target in own.items():
            if name not in full:
                continue
            source = torch.as_tensor(full[name])
            if isinstance(target, DTensor):
                piece = distribute_tensor(
                    source.to(target.device, target.dtype),
                    target.device_mesh,
                    target.placements,
                    src_data_rank=None,  # every rank holds the full tensor: no communication
                )
                target.to_local().copy_(piece.to_local())
            else:
                target.copy_(source)


def _sharded_state(
    model: nn.Module, optimizer: torch.optim.Optimizer | None, extra: Mapping[str, Any] | None
) -> dict[str, Any]:
    """What a sharded save writes: this rank's model (and optimizer) shards, and ``extra``."""
    optimizers = [optimizer] if optimizer is not None else []
    model_state, optim_state = get_state_dict(model, optimizers)
    state: dict[str, Any] = {"state_dict": model_state}
    if optimizer is not None:
        state["optimizer"] = optim_state
    if extra:
        state["extra"] = dict(extra)
    return state


def save_sharded(
    path: str | Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Every rank writes its shards of the model (and optimizer) into folder ``path``."""
    import torch.distributed.checkpoint as dcp

    state = _sharded_state(model, optimizer, extra)
    dcp.save(state, checkpoint_id=str(path))
    return Path(path)


def save_sharded_async(
    path: str | Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Future[Any]:
    """Like :func:`save_sharded`, with ``torch.distributed.checkpoint.async_save``.

    Returns once every rank's shards are staged in host memory; the files are
    written in the background. Call ``.result()`` on the returned future
    before the next save of the same folder and before the process group is
    destroyed (it raises the write's failure).
    """
    import torch.distributed.checkpoint as dcp

    state = _sharded_state(model, optimizer, extra)
    response: Any = dcp.async_save(state, checkpoint_id=str(path))
    done: Future[Any] = getattr(response, "upload_completion", response)
    return done


def load_sharded(
    path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer | None = None
) -> dict[str, Any]:
    """Load a ``save_sharded`` folder into the (sharded) model and optimizer, in place.

    Works with a different number of ranks than the one that saved. Returns the
    ``extra`` entries saved alongside (when their structure is given back).
    """
    import torch.distributed.checkpoint as dcp

    optimizers = [optimizer] if optimizer is not None else []
    model_state, optim_state = get_state_dict(model, optimizers)
    state: dict[str, Any] = {"state_dict": model_state}
    if optimizer is not None:
        state["optimizer"] = optim_state
    dcp.load(state, checkpoint_id=str(path))
    set_state_dict(
        model,
        optimizers,
        model_state_dict=state["state_dict"],
        optim_state_dict=state.get("optimizer", {}),
    )
    return state


def consolidate_sharded(path: str | Path, out_file: str | Path) -> Path:
    """Turn a ``save_sharded`` folder into one ``torch.save`` file (single process)."""
    from torch.distributed.checkpoint.format_utils import dcp_to_torch_save

    dcp_to_torch_save(str(path), str(out_file))
    return Path(out_file)


# -- the Runner's checkpoints --------------------------------------------------------------------
def _optimizer_of(optim_wrapper: Any) -> torch.optim.Optimizer | None:
    return getattr(optim_wrapper, "optimizer", None) if optim_wrapper is not None else None


def fill_full_state(runner: Any, ckpt: dict[str, Any], save_optimizer: bool) -> None:
    """Put the gathered model (and optimizer) state into a checkpoint dict (collective)."""
    optimizer = _optimizer_of(runner.optim_wrapper) if save_optimizer else None
    model_state, optim_state = full_state_dicts(runner.unwrapped_model, optimizer)
    ckpt["state_dict"] = model_state
    if optimizer is not None:
        scaler = getattr(runner.optim_wrapper, "loss_scaler", None)
        if scaler is not None and optim_state is not None:
            optim_state["loss_scaler"] = scaler.state_dict()
        ckpt["optimizer"] = optim_state


def load_full_state(runner: Any, ckpt: Mapping[str, Any], strict: bool = True) -> None:
    """Load a full checkpoint's model (and optimizer) state into a sharded runner (collective)."""
    optimizer = _optimizer_of(runner.optim_wrapper)
    optim_state = dict(ckpt["optimizer"]) if "optimizer" in ckpt and optimizer is not None else None
    if optim_state is not None:
        scaler_state = optim_state.pop("loss_scaler", None)
        scaler = getattr(runner.optim_wrapper, "loss_scaler", None)
        if scaler_state is not None and scaler is not None:
            scaler.load_state_dict(scaler_state)
    load_full_state_dicts(
        runner.unwrapped_model, ckpt["state_dict"], optimizer, optim_state, strict=strict
    )
