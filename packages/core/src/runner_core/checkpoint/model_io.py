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

from ..logging.print_log import print_log
from .errors import CheckpointAssertionError
from .safe_load import MmapChoice
from .safe_load import load_checkpoint as _load_file
from .state import DDP_PREFIX_RULE, LoadReport, load_model_state


def _wrapper_paths(module: nn.Module) -> list[str]:
    """Names of the data-parallel wrappers inside ``module``, deepest first."""
    from ..distributed.model_wrappers import is_model_wrapper

    found = [name for name, child in module.named_modules() if name and is_model_wrapper(child)]
    return sorted(found, key=lambda name: name.count("."), reverse=True)


def _unwrapped_name(name: str, wrappers: Sequence[str]) -> str | None:
    """``name`` (a key or module path) with each wrapper's ``.module`` dropped; None for a
    wrapper's own path, which an unwrapped model does not have."""
    for path in wrappers:  # deepest first: an outer wrapper's path is still intact
        inner = path + ".module"
        if name == path:
            return None
        if name == inner or name.startswith(inner + "."):
            name = path + name[len(inner) :]
    return name


def get_state_dict(
    module: nn.Module, destination: Any = None, prefix: str = "", keep_vars: bool = False
) -> Any:
    """The module's state dict without any wrapper's ``module.`` prefix, also of wrapped
    children (``model.generator = DDP(...)``), as MMEngine's: it loads into the bare model."""
    from ..distributed.model_wrappers import is_model_wrapper

    while is_model_wrapper(module):
        module = module.module  # type: ignore[assignment]
    state = module.state_dict(keep_vars=keep_vars)
    wrappers = _wrapper_paths(module)
    out: Any = OrderedDict() if destination is None else destination
    for key, value in state.items():
        out[prefix + (_unwrapped_name(key, wrappers) or key)] = value
    metadata = getattr(out, "_metadata", None)
    if metadata is None:
        if destination is not None:  # a plain dict of the caller's: no room for versions
            return out
        metadata = out._metadata = OrderedDict()
    for path, version in getattr(state, "_metadata", {}).items():
        name = _unwrapped_name(path, wrappers)
        if name is not None:  # a wrapper's own version entry: the bare model has none
            metadata[(prefix + name if name else prefix[:-1])] = version
    return out


def weights_to_cpu(state_dict: Mapping[str, Any]) -> OrderedDict[str, Any]:
    """A copy of ``state_dict`` with every tensor on the CPU (what a checkpoint stores); the
    per-module versions (``_metadata``) that ``load_state_dict`` reads are kept."""
    from ..utils.misc import apply_to

    # into dicts, lists and tuples, as MMEngine's (an optimizer-like state nests its tensors)
    out = OrderedDict(apply_to(dict(state_dict), lambda x: hasattr(x, "cpu"), lambda x: x.cpu()))
    out._metadata = getattr(state_dict, "_metadata", OrderedDict())  # type: ignore[attr-defined]
    return out


def checkpoint_weights(checkpoint: Any) -> Mapping[str, Any]:
    """The model weights a loaded checkpoint holds: its ``state_dict``, or the file itself
    when it is a bare state dict."""
    if not isinstance(checkpoint, Mapping):
        return {}
    weights = checkpoint.get("state_dict", checkpoint)
    return weights if isinstance(weights, Mapping) else {}


def _report(report: LoadReport, logger: logging.Logger | str | None) -> LoadReport:
    """MMEngine's ``logger=None`` prints what did not match (load_model_state then logs nothing)."""
    if logger is None and not report.ok:
        from ..distributed.utils import get_rank

        if get_rank() == 0:  # MMEngine prints on rank 0 only: one report, not one per rank
            print_log(str(report), None)
    return report


def load_state_dict(
    module: nn.Module,
    state_dict: Mapping[str, Any],
    strict: bool = False,
    logger: logging.Logger | str | None = None,
) -> LoadReport:
    """Load ``state_dict`` into ``module``; mismatches are reported (``strict``: refused).

    ``logger`` as MMEngine's: a ``logging.Logger``, ``'current'``,
    ``'silent'``, a logger name, or None (mismatches printed).
    """
    report = load_model_state(
        module, state_dict, strict=strict, revise_keys=(), logger=logger, revise_hint=None
    )
    return _report(report, logger)


def _load_checkpoint_to_model(
    model: nn.Module,
    checkpoint: Mapping[str, Any],
    strict: bool = False,
    logger: logging.Logger | str | None = None,
    revise_keys: Sequence[tuple[str, str]] = (DDP_PREFIX_RULE,),
) -> Mapping[str, Any]:
    """MMEngine's private ``_load_checkpoint_to_model``: load a checkpoint already read
    into ``model`` (its ``state_dict``, or itself when it is a bare state dict); returns
    ``checkpoint``. mmdet's and mmseg's inferencers import it in ``_load_weights_to_model``.
    """
    report = load_model_state(
        model, checkpoint_weights(checkpoint), strict=strict, revise_keys=revise_keys, logger=logger
    )
    _report(report, logger)
    return checkpoint


def load_checkpoint_into(
    model: nn.Module,
    filename: str | Path,
    map_location: Any = "cpu",
    strict: bool = False,
    logger: logging.Logger | str | None = None,
    revise_keys: Sequence[tuple[str, str]] = (DDP_PREFIX_RULE,),
    *,
    allow_pickle: bool = False,
    mmap: MmapChoice = None,
) -> dict[str, Any]:
    """MMEngine's ``load_checkpoint(model, filename)``: load the file's weights into ``model``.

    Returns the whole checkpoint dict. The weights are its ``state_dict``
    (or the file itself when it is a bare state dict). ``logger`` as for
    :func:`load_state_dict`. ``mmap=True`` maps the file instead of reading
    it, so the weights are not held twice while they are copied into the
    model; the returned dict's tensors then read from the file, which must
    not be rewritten in place while they are alive (see
    :func:`~runner_core.checkpoint.safe_load.load_checkpoint`).
    """
    checkpoint = _load_file(
        filename, map_location=map_location or "cpu", allow_pickle=allow_pickle, mmap=mmap
    )
    report = load_model_state(
        model,
        checkpoint_weights(checkpoint),
        strict=strict,
        revise_keys=revise_keys,
        logger=logger,
        source=filename,
    )
    _report(report, logger)
    return checkpoint


def _load_checkpoint(
    filename: str | Path, map_location: Any = None, logger: Any = None
) -> dict[str, Any]:
    """MMEngine's private ``_load_checkpoint(filename, map_location, logger)``: the whole
    checkpoint, read as :func:`~.safe_load.load_checkpoint` reads it (``weights_only``)."""
    return _load_file(filename, map_location=map_location or "cpu")


def _load_checkpoint_with_prefix(
    prefix: str, filename: str | Path, map_location: Any = None
) -> dict[str, Any]:
    """MMEngine's private ``_load_checkpoint_with_prefix``: the weights under ``prefix``
    (``'backbone'`` or ``'backbone.'``), the prefix dropped; mmagic and mmdet3d import it."""
    weights = checkpoint_weights(_load_checkpoint(filename, map_location))
    head = prefix if prefix.endswith(".") else prefix + "."
    found = {key[len(head) :]: value for key, value in weights.items() if key.startswith(head)}
    if not found:  # MMEngine asserts
        raise CheckpointAssertionError(
            f"{head} is not in the pretrained model {filename}: its keys start with "
            f"{sorted({k.split('.', 1)[0] for k in weights})[:6]}."
        )
    return found
