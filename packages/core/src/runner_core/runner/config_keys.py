"""The top-level config keys something reads, and the check for misspelled ones.

The keys the Runner reads are its constructor's arguments, read off the
signature so the two cannot drift apart. The typo rule itself lives in
:mod:`runner_core.config.key_typos`; this module only says what is known.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping
from typing import Any

from ..config.key_typos import KeyTypo, find_top_level_typos
from ..errors import ConfigError

#: Top-level keys the Runner reads from its ``cfg``, not from its arguments (as MMEngine's).
READ_FROM_CFG = (
    "compile",
    "find_unused_parameters",  # MMEngine's default DDP wrapper reads it (Runner.wrap_model)
    "sync_bn",  # 'torch': BatchNorm -> SyncBatchNorm in distributed runs (Runner.wrap_model)
    "activation_checkpointing",  # sub-module names (Runner.train, model.activation_checkpointing)
    "efficient_conv_bn_eval",  # sub-module names (Runner.train, model.efficient_conv_bn_eval)
)
#: Other top-level keys something reads (so they are not typos).
OTHER_KNOWN_KEYS = (
    "runner_type",
    "custom_imports",
    "vis_backends",
    "_base_",
    "tta_model",  # read by `runner-cli test --tta` (runner_core.model.tta.apply_tta)
    "tta_pipeline",
    *READ_FROM_CFG,
    # OpenMMLab configs' own variables, used by value in their dataloaders; test_pipeline
    # (in 786 of the 1697 configs of the compatibility corpus) is close to tta_pipeline
    "train_pipeline",
    "val_pipeline",
    "test_pipeline",
)


@functools.cache
def constructor_keys(cls: type) -> tuple[str, ...]:
    """The keyword arguments of ``cls.__init__`` a config can set (all but ``cfg``).

    A subclass whose ``__init__`` takes ``**kwargs`` (``def __init__(self, *args,
    **kwargs)``, MMEngine-style) hands them to its base: the base's arguments
    count too, up the classes until an ``__init__`` without ``**kwargs``.
    """
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    keys: list[str] = []
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is None or klass is object:
            continue
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):  # no signature (a C class): nothing more to learn
            break
        keys += [p.name for p in params if p.kind in kinds and p.name not in ("self", "cfg")]
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
            break
    return tuple(dict.fromkeys(keys))


def top_level_typos(cfg: Mapping[str, Any], runner_keys: tuple[str, ...]) -> list[KeyTypo]:
    """The misspelled top-level keys of ``cfg`` for a Runner reading ``runner_keys``."""
    return find_top_level_typos(cfg, (*runner_keys, *OTHER_KNOWN_KEYS))


def typo_message(typo: KeyTypo, runner_keys: tuple[str, ...]) -> str:
    """The words for one typo, the same from the Runner and from ``config check``."""
    return typo.message(f" The Runner reads: {', '.join(runner_keys)}.")


def check_top_level_keys(cfg: Mapping[str, Any], runner_keys: tuple[str, ...]) -> None:
    """Raise ConfigError for the first misspelled top-level key of ``cfg``."""
    for typo in top_level_typos(cfg, runner_keys):
        raise ConfigError(typo_message(typo, runner_keys))
