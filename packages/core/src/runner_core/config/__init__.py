"""Config files in MMEngine's format: ``.py`` (classic and pure-Python), JSON, YAML.

Importing this package is light: no torch, no YAML parser until a YAML file
is read.
"""

from __future__ import annotations

from .config import Config
from .config_dict import ConfigDict
from .custom_imports import import_custom_modules
from .errors import ConfigError, CustomImportError
from .lazy import ImportedName
from .options import DictAction, parse_cfg_options
from .pure_python import read_base

__all__ = [
    "Config",
    "ConfigDict",
    "ConfigError",
    "CustomImportError",
    "DictAction",
    "ImportedName",
    "import_custom_modules",
    "parse_cfg_options",
    "read_base",
]
