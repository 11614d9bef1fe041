"""Configs and models that installed packages ship: MMEngine's ``mmengine.hub``.

``get_config('pkg::path/to/config.py')`` loads a config from the package
``pkg`` (its ``.mim/configs`` or ``configs`` folder, as ``_base_ =
'pkg::...'`` does), and ``get_model`` builds its model in the package's
registry scope. Unlike MMEngine, nothing is installed or downloaded: a package
that is missing is an error that says to install it, and pretrained weights
must be a local file (a URL in the package's metafile is refused by
``load_checkpoint`` with the offline explanation).
"""

from __future__ import annotations

import importlib
import os
import re
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, ConfigFileNotFoundError

if TYPE_CHECKING:
    from torch import nn

    from .config import Config

__all__ = ["get_config", "get_model"]

_REFERENCE = re.compile(r"^(?P<package>[A-Za-z_][\w.]*)::(?P<path>.+)$")


def _split(cfg_path: str) -> tuple[str, str]:
    """``'pkg::dir/name.py'`` -> ``('pkg', 'dir/name.py')``, or a ValueError saying the form."""
    found = _REFERENCE.match(cfg_path) if isinstance(cfg_path, str) else None
    if found is None or "::" in found["path"]:
        raise ConfigError(
            f"{cfg_path!r} is not a package config reference: write 'package::relative/path.py', "
            "e.g. 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py' (one '::', after the "
            "package's import name)."
        )
    return found["package"], found["path"]


def _package_root(package: str) -> str:
    from .config.loader import package_root

    root = package_root(package.split(".")[0])
    if root is None:
        raise ConfigError(
            f"get_config: the package {package!r} is not installed; install it (pip install "
            f"{package}) and try again. runner does not install packages at run time."
        )
    return root


def _metafile_entry(root: str, relative: str) -> dict[str, Any] | None:
    """The model-index entry whose ``Config`` is ``relative``, if the package has an index.

    OpenMMLab packages list their configs and released weights in
    ``.mim/model-index.yml``, which names one ``metafile.yml`` per model family.
    """
    from .fileio import load

    index_path = os.path.join(root, ".mim", "model-index.yml")
    if not os.path.isfile(index_path):
        return None
    index = load(index_path) or {}
    for metafile in index.get("Import", []):
        models = (load(os.path.join(root, ".mim", metafile)) or {}).get("Models", [])
        for entry in models:
            config = entry.get("Config") if isinstance(entry, dict) else None
            # 'configs/faster_rcnn/x.py' is the reference 'faster_rcnn/x.py'
            if config is not None and config.partition("/")[2] == relative:
                return entry
    return None


def get_config(cfg_path: str, pretrained: bool = False) -> Config:
    """Load the config ``'package::relative/path.py'`` that an installed package ships.

    With ``pretrained=True`` the package's model index must list the
    config's released weights: their location is set as ``cfg.model_path``.
    """
    from .config import Config
    from .config.loader import package_config_places, resolve_base_path

    package, relative = _split(cfg_path)
    root = _package_root(package)
    path, _ = resolve_base_path(cfg_path, os.path.join(root, "__init__.py"))
    if not os.path.isfile(path):
        raise ConfigFileNotFoundError(
            f"get_config({cfg_path!r}): the package {package!r} (at {root}) has no config "
            f"{relative!r}; looked for {package_config_places(root, relative)}. Check the path "
            "against the package's configs."
        )
    cfg = Config.fromfile(path)
    if pretrained:
        entry = _metafile_entry(root, relative)
        if entry is None or "Weights" not in entry:
            raise ConfigError(
                f"get_config({cfg_path!r}, pretrained=True): the package's model index "
                f"({os.path.join(root, '.mim', 'model-index.yml')}) lists no weights for this "
                "config; load a local checkpoint with load_checkpoint(model, path) instead."
            )
        cfg.model_path = entry["Weights"]
    return cfg


def get_model(cfg_path: str, pretrained: bool = False, **kwargs: Any) -> nn.Module:
    """Build the model of the package config ``cfg_path`` in the package's registry scope.

    ``kwargs`` are default arguments of the model's constructor. The config's
    top-level ``data_preprocessor``, if any, becomes the model's. With
    ``pretrained=True`` the released weights are loaded and the model is
    marked initialised, so a Runner's ``init_weights`` does not overwrite them.
    """
    from .registry import MODELS, DefaultScope

    package = cfg_path.split("::", 1)[0]
    with DefaultScope.overwrite_default_scope(package):
        cfg = get_config(cfg_path, pretrained)
        if "data_preprocessor" in cfg:
            cfg.model.data_preprocessor = cfg.data_preprocessor
        # OpenMMLab packages register their modules on request; runner plugins through
        # entry points, which need nothing here
        try:
            utils = importlib.import_module(f"{package}.utils")
        except ModuleNotFoundError as exc:
            if exc.name not in (package, f"{package}.utils"):
                raise  # the module is there and imports something missing: say so
            utils = None
        register_all_modules = getattr(utils, "register_all_modules", None)
        if callable(register_all_modules):
            register_all_modules()
        model = MODELS.build(cfg.model, default_args=kwargs)
        if pretrained:
            from .checkpoint import load_checkpoint

            load_checkpoint(model, cfg.model_path)
            model._is_init = True
        return model
