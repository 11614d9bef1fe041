"""MMEngine's model checkpoint helpers: a model's weights to and from plain state dicts.

``mmengine.runner.checkpoint`` offers ``get_state_dict``, ``weights_to_cpu``,
``load_state_dict`` and a ``load_checkpoint(model, filename)`` that loads a
file into a model. Ours loads through the safe loader (``weights_only`` by
default) and :func:`load_model_state` (shape mismatches skipped and
reported), so the same calls work after an import change.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from torch import nn

from .safe_load import load_checkpoint as _load_file
from .state import LoadReport, load_model_state, unwrap_model


def get_state_dict(
    module: nn.Module, destination: Any = None, prefix: str = "", keep_vars: bool = False
) -> Any:
    """The module's state dict without a DDP/FSDP wrapper's ``module.`` prefix."""
    inner = unwrap_model(module)
    if destination is None:
        return inner.state_dict(prefix=prefix, keep_vars=keep_vars)
    return inner.state_dict(destination=destination, prefix=prefix, keep_vars=keep_vars)


def weights_to_cpu(state_dict: Mapping[str, Any]) -> OrderedDict[str, Any]:
    """A copy of ``state_dict`` with every tensor on the CPU (what a checkpoint stores)."""
    return OrderedDict(
        (key, value.cpu() if hasattr(value, "cpu") else value) for key, value in state_dict.items()
    )


def checkpoint_weights(checkpoint: Any) -> Mapping[str, Any]:
    """The model weights a loaded checkpoint holds: its ``state_dict``, or the file itself
    when it is a bare state dict."""
    if not isinstance(checkpoint, Mapping):
        return {}
    weights = checkpoint.get("state_dict", checkpoint)
    return weights if isinstance(weights, Mapping) else {}


def load_state_dict(
    module: nn.Module,
    state_dict: Mapping[str, Any],
    strict: bool = False,
    logger: logging.Logger | None = None,
) -> LoadReport:
    """Load ``state_dict`` into ``module``; mismatches are reported (``strict``: refused)."""
    return load_model_state(module, state_dict, strict=strict, revise_keys=(), logger=logger)


def load_checkpoint_into(
    model: nn.Module,
    filename: str | Path,
    map_location: Any = "cpu",
    strict: bool = False,
    logger: logging.Logger | None = None,
    revise_keys: Sequence[tuple[str, str]] = ((r"^module\.", ""),),
    *,
    allow_pickle: bool = False,
) -> dict[str, Any]:
    """MMEngine's ``load_checkpoint(model, filename)``: load the file's weights into ``model``.

    Returns the whole checkpoint dict. The weights are its ``state_dict``
    (or the file itself when it is a bare state dict).
    """
    checkpoint = _load_file(filename, map_location=map_location or "cpu", allow_pickle=allow_pickle)
    load_model_state(
        model,
        checkpoint_weights(checkpoint),
        strict=strict,
        revise_keys=revise_keys,
        logger=logger,
        source=filename,
    )
    return checkpoint
