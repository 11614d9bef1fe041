"""An inferencer's checkpoint: read safely, loaded into the model, and its class names kept.

``model.dataset_meta`` (class names, palette) is what a subclass labels its
predictions with; a Runner's checkpoint carries the training set's in
``meta['dataset_meta']``, and a config may name it for its test set.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from typing import Any

import torch.nn as nn

from ..checkpoint import CheckpointError, load_checkpoint, load_model_state
from ..checkpoint.model_io import checkpoint_weights
from ..errors import RegistryError, add_note


def read_checkpoint(weights: str | os.PathLike[str], cfg: Any) -> dict:
    """Load the checkpoint file on the CPU, unpickling only if the config's
    ``load_cfg=dict(allow_pickle=True)`` (the Runner's key) allows it."""
    from ..runner.arg_checks import check_load_switches

    load_cfg = cfg.get("load_cfg") if cfg is not None else None
    # as a Runner: allow_pickle='false' (a JSON config) must not read as True and unpickle
    check_load_switches(load_cfg)
    allow_pickle = (
        bool(load_cfg.get("allow_pickle", False)) if isinstance(load_cfg, Mapping) else False
    )
    try:
        return load_checkpoint(os.fspath(weights), map_location="cpu", allow_pickle=allow_pickle)
    except CheckpointError as exc:
        if type(exc) is CheckpointError and not allow_pickle and "allow_pickle" in str(exc):
            where = (
                "the config file you pass as model="
                if cfg
                else "a config file and pass it as model= (with model=None the config is read "
                "from this very checkpoint, too late to allow it)"
            )
            add_note(
                exc,
                "An inferencer reads that opt-in from its config: add "
                f"load_cfg = dict(allow_pickle=True) to {where}.",
            )
        raise


def load_into_model(model: nn.Module, checkpoint: Mapping[str, Any], source: Any) -> None:
    """Load the checkpoint's weights into ``model`` non-strictly, as MMEngine's inferencer
    does; what did not match is logged, a checkpoint sharing no key with it is an error."""
    load_model_state(
        model,
        checkpoint_weights(checkpoint),
        strict=False,
        source=os.fspath(source) if source is not None else None,
        logger="current",
        revise_hint=None,
    )


def _config_dataset_meta(cfg: Any) -> dict | None:
    """The test dataset's metainfo as its config gives it: the dataset class's ``METAINFO``
    updated by the config's ``metainfo`` dict; nothing is built or read from disk."""
    loader = cfg.get("test_dataloader") if cfg is not None else None
    dataset = loader.get("dataset") if isinstance(loader, Mapping) else None
    if not isinstance(dataset, Mapping):
        return None
    found: dict = {}
    kind = dataset.get("type")
    if isinstance(kind, str):
        from ..registry import DATASETS

        try:
            kind = DATASETS.get(kind)
        except RegistryError:  # a broken plugin: the class names are not worth failing for
            kind = None
    class_meta = getattr(kind, "METAINFO", None)
    if isinstance(class_meta, Mapping):
        found.update(copy.deepcopy(dict(class_meta)))
    metainfo = dataset.get("metainfo")
    if isinstance(metainfo, Mapping):
        found.update(copy.deepcopy(dict(metainfo)))
    return found or None


def find_dataset_meta(checkpoint: Mapping[str, Any] | None, cfg: Any) -> dict | None:
    """``checkpoint['meta']['dataset_meta']`` if saved, else the config's test dataset's."""
    meta = checkpoint.get("meta") if checkpoint is not None else None
    saved = meta.get("dataset_meta") if isinstance(meta, Mapping) else None
    if isinstance(saved, Mapping) and saved:
        return dict(saved)
    return _config_dataset_meta(cfg)
