"""``custom_imports=dict(imports=[...], allow_failed_imports=False)`` in a config.

It lets a config pull in modules that register components (``@MODELS.register_module()``)
before anything is built.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import types
import warnings
from collections.abc import Mapping
from typing import Any

from ..errors import add_note
from .errors import ConfigTypeError, CustomImportError

#: Modules custom_imports imported in this process, in order: a data worker started with
#: ``spawn`` / ``forkserver`` imports them again, so their registrations are there too.
imported_names: list[str] = []


def custom_import_names(cfg: Mapping[str, Any] | Any) -> tuple[list[str], bool]:
    """``(module names, allow_failed_imports)`` of ``cfg.custom_imports``, checked:
    a :class:`ConfigTypeError` names a malformed entry."""
    custom = cfg.get("custom_imports") if hasattr(cfg, "get") else None
    filename = getattr(cfg, "filename", None) or "the config"
    if not custom:
        return [], False
    if not isinstance(custom, Mapping):
        raise ConfigTypeError(
            f"{filename}: custom_imports must be dict(imports=[...], allow_failed_imports=False), "
            f"got {custom!r}."
        )
    unknown = set(custom) - {"imports", "allow_failed_imports"}
    if unknown:
        raise ConfigTypeError(
            f"{filename}: custom_imports has unknown key(s) {sorted(unknown)}; only 'imports' "
            "and 'allow_failed_imports' are allowed."
        )
    imports = custom.get("imports", [])
    if isinstance(imports, str):
        imports = [imports]
    if not isinstance(imports, (list, tuple)) or not all(isinstance(i, str) for i in imports):
        raise ConfigTypeError(
            f"{filename}: custom_imports.imports must be a module name or a list of module "
            f"names, got {imports!r}."
        )
    return list(imports), bool(custom.get("allow_failed_imports", False))


def import_custom_modules(cfg: Mapping[str, Any] | Any) -> list[types.ModuleType]:
    """Import the modules named in ``cfg.custom_imports``; return them.

    A failed import raises :class:`CustomImportError` naming the module and the
    config file, unless ``allow_failed_imports=True`` (then it warns).
    """
    imports, allow_failed = custom_import_names(cfg)
    filename = getattr(cfg, "filename", None) or "the config"
    modules = []
    for name in imports:
        try:
            modules.append(importlib.import_module(name))
            if name not in imported_names:
                imported_names.append(name)
        except ImportError as exc:
            message = (
                f"{filename}: custom_imports could not import {name!r} ({exc})."
                f"{_close_modules(name, exc)} Install the package that provides it, or put "
                f"its folder on PYTHONPATH; {_search_path()}."
            )
            if allow_failed:
                warnings.warn(message + " Skipped (allow_failed_imports=True).", stacklevel=2)
                continue
            raise CustomImportError(message) from exc
        except Exception as exc:  # the module's own code failed: its error, with where
            add_note(exc, f"Raised in module {name!r}, imported by custom_imports of {filename}.")
            raise
    return modules


def _close_modules(name: str, exc: ImportError) -> str:
    """`` Did you mean 'qa_toys'?`` when ``name``'s top-level module is what is missing: the
    importable top-level modules (on sys.path) whose names are close; '' otherwise."""
    top = name.partition(".")[0]
    if not isinstance(exc, ModuleNotFoundError) or exc.name != top:
        return ""  # found, but something it imports is missing: its own error says what
    from ..errors import did_you_mean

    return did_you_mean(top, {module.name for module in pkgutil.iter_modules()})


def _search_path(shown: int = 3) -> str:
    """Where Python looks for modules, in short: the first entries of sys.path."""
    more = len(sys.path) - shown
    return f"sys.path starts with {sys.path[:shown]}" + (f" and {more} more" if more > 0 else "")
