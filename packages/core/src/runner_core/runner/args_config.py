"""The config a Runner built from arguments writes to its log folder.

MMEngine dumps a config for every run, built from arguments too, so a run
folder always says how it was started. Arguments that are plain config data
(dicts, lists, strings, numbers; a ``pathlib.Path`` as its path string) are
written as they were given; objects (a model instance, a DataLoader) cannot
be written back as config and are left out, as are arguments left at None.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

_NOT_CONFIG = ("self", "cfg", "__class__")


def _is_plain(value: Any) -> bool:
    if value is None or isinstance(value, (str, int, float, bool, os.PathLike)):
        return True
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    return False


def arguments_config(arguments: Mapping[str, Any]) -> Any:
    """A ``Config`` of the plain-data constructor arguments (objects and None left out)."""
    from ..config import Config

    kept = {
        key: value
        for key, value in arguments.items()
        if key not in _NOT_CONFIG and value is not None and _is_plain(value)
    }
    return Config(kept)
