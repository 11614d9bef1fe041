"""Where an inferencer's config comes from: a file, a ``Config`` or dict, or the checkpoint.

A model *name* would need a model zoo (MMEngine reads a library's metafile
and downloads the weights it lists); runner never downloads, so a name is a
clear error that asks for the config file and a local checkpoint instead.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Mapping
from typing import Any

from ..config import Config, ConfigDict
from ..errors import ConfigFileNotFoundError
from .errors import InferencerAttributeError, InferencerError, InferencerTypeError, ModelZooError

_CONFIG_SUFFIXES = (".py", ".json", ".yaml", ".yml")


def model_zoo_error(what: str) -> ModelZooError:
    """The error for a model name or a model-zoo listing (``what`` says which was asked)."""
    return ModelZooError(
        f"{what}: looking models up by name needs a model zoo (MMEngine reads the library's "
        "metafile and downloads the weights it lists), and runner never downloads a model. "
        "Pass the model's config file and a checkpoint on disk instead, e.g. "
        "MyInferencer(model='configs/my_model.py', weights='work_dirs/my_model/epoch_12.pth')."
    )


def _looks_like_path(text: str) -> bool:
    return text.endswith(_CONFIG_SUFFIXES) or "/" in text or os.sep in text


def config_from_model_arg(model: Any, weights: Any) -> Config | ConfigDict:
    """The config ``model`` gives, a copy the inferencer may change.

    Empty when it is to be read from the checkpoint ``weights`` (filled in
    place then, so a subclass's ``_init_model`` sees it as in MMEngine).

    ``model`` is a config file path, a ``Config``, a dict (or ``ConfigDict``)
    with a ``model`` key, or None (or an empty dict) when ``weights`` is a
    checkpoint saved with its config.
    """
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        if os.path.isfile(path):
            return Config.fromfile(path)
        if isinstance(model, os.PathLike) or _looks_like_path(path):
            raise ConfigFileNotFoundError(
                f"model={path!r} names no config file (looked for {os.path.abspath(path)!r}). "
                "Check the path, relative to the current folder "
                f"{os.getcwd()!r}, or pass an absolute one."
            )
        raise model_zoo_error(f"model={path!r} is not a config file")
    if isinstance(model, Config):
        cfg: Config | ConfigDict = copy.deepcopy(model)
    elif isinstance(model, Mapping):
        cfg = ConfigDict(copy.deepcopy(dict(model)))
    elif model is None:
        cfg = ConfigDict()
    else:
        raise InferencerTypeError(
            f"model must be a config file path, a Config or a dict with a 'model' key, got "
            f"{type(model).__name__}: {model!r}. Pass e.g. model='configs/my_model.py', or "
            "model=dict(model=dict(type='MyModel', ...)) built in code."
        )
    if len(cfg) == 0 and weights is None:
        raise InferencerError(
            f"model={model!r} and weights=None give no config to build a model from. Pass "
            "model='<config file>', or weights='<checkpoint>' saved with its config (a "
            "Runner's checkpoints are)."
        )
    return cfg


def config_from_checkpoint(checkpoint: Mapping[str, Any], weights: Any) -> Config:
    """The config text a checkpoint was saved with, as a ``Config``.

    MMEngine keeps it in the message hub's runtime info, older MMEngine and
    runner in ``meta['cfg']``; the first found is used.
    """
    hub = checkpoint.get("message_hub")
    runtime = hub.get("runtime_info") if isinstance(hub, Mapping) else None
    text = runtime.get("cfg") if isinstance(runtime, Mapping) else None
    if not isinstance(text, str) or not text.strip():
        meta = checkpoint.get("meta")
        text = meta.get("cfg") if isinstance(meta, Mapping) else None
    if not isinstance(text, str) or not text.strip():
        raise InferencerError(
            f"weights={os.fspath(weights)!r} holds no config (neither "
            "message_hub.runtime_info.cfg nor meta.cfg), and model=None asks to read it from "
            "there. Pass the config too: model='<config file>'."
        )
    return _saved_config(text, weights)


def _saved_config(text: str, weights: Any) -> Config:
    """The checkpoint's config text read as data, never run: the file passed the
    ``weights_only`` check, and executing its text would undo that promise
    (MMEngine runs it). Its ``custom_imports`` are taken only when this process has
    imported them already: importing runs a module's code, and the text can name any
    module on the path."""
    from ..config.literal import read_saved_config

    try:
        found = read_saved_config(text)
    except (SyntaxError, ValueError) as exc:
        raise InferencerError(
            f"weights={os.fspath(weights)!r}: the config saved in this checkpoint is not plain "
            f"data ({exc}); model=None would have to run it as Python, and a checkpoint's "
            "text can hold any code. Pass the config file as model=. If you trust this "
            "checkpoint, build Config.fromstring(text, file_format='.py') from its text "
            "yourself and pass that Config as model=."
        ) from None
    cfg = Config(found, cfg_text=text)
    from ..config.custom_imports import custom_import_names

    names, allow_failed = custom_import_names(cfg)
    missing = [name for name in names if name not in sys.modules]
    if missing and allow_failed:
        import warnings  # optional modules, as a config file's: left out, with a warning

        warnings.warn(
            f"weights={os.fspath(weights)!r}: the saved config's custom_imports "
            f"{missing} were not imported (a checkpoint's text never imports a module "
            "itself); allow_failed_imports=True lets the model build without them.",
            stacklevel=3,
        )
        missing = []
    if missing:
        shown = ", ".join(map(repr, missing))
        raise InferencerError(
            f"weights={os.fspath(weights)!r}: the config saved in this checkpoint asks to "
            f"import {shown} (custom_imports), which this process has not imported. Importing "
            "runs a module's code, and a checkpoint can name any module, so model=None does not "
            f"import it for you: import it yourself first (import {missing[0]}) if you trust "
            "it, or pass the config file as model=."
        )
    return cfg


def check_model_key(cfg: Config | ConfigDict) -> None:
    """Refuse a config without a ``model`` dict, naming where the config came from."""
    if not isinstance(cfg.get("model"), Mapping):
        filename = cfg.filename if isinstance(cfg, Config) else None
        source = f"file {filename}" if filename else "given in code"
        keys = ", ".join(sorted(str(k) for k in cfg)) or "none"
        raise InferencerAttributeError(
            f"The config ({source}) has no 'model' dict to build the model from (its keys: "
            f"{keys}). An inferencer takes a whole config, e.g. dict(model=dict(type='MyModel'"
            ", ...)), not the model's own dict."
        )
