"""Resolve a config ``type`` through a registry, with core's own names as a safety net.

Core's optim classes are registered by entry points; when the package runs
from a source tree that was never installed, those are missing, so the names
this package defines itself still resolve here.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from ..errors import RegistryError

OWN_NAMES = {
    "OPTIM_WRAPPERS": {
        "OptimWrapper": "runner_core.optim.optim_wrapper",
        "AmpOptimWrapper": "runner_core.optim.amp_optim_wrapper",
        "OptimWrapperDict": "runner_core.optim.optim_wrapper_dict",
    },
    "OPTIM_WRAPPER_CONSTRUCTORS": {
        "DefaultOptimWrapperConstructor": "runner_core.optim.constructor",
    },
    "PARAM_SCHEDULERS": {},  # filled by runner_core.optim.scheduler
    "OPTIMIZERS": {},
}


def registry(name: str) -> Any:
    from .. import registry as registries

    return getattr(registries, name)


def resolve(registry_name: str, key: Any) -> Any:
    """``type`` (a name, a class or a callable) -> the class to build."""
    if not isinstance(key, str):
        return key
    try:
        return registry(registry_name).get(key)
    except RegistryError:
        module = OWN_NAMES[registry_name].get(key)
        if module is None:
            raise
        return getattr(import_module(module), key)


def build(registry_name: str, cfg: Any, key_path: str | None = None, **defaults: Any) -> Any:
    """Build ``cfg`` (a dict with ``type``) with the registry's argument checks."""
    from ..registry import check_arguments

    args = dict(cfg)
    for key, value in defaults.items():
        args.setdefault(key, value)
    if "type" not in args:
        raise RegistryError(
            f"Cannot build from {dict(cfg)!r}"
            + (f" (config key {key_path!r})" if key_path else "")
            + ": it has no 'type' key."
        )
    obj_cls = resolve(registry_name, args.pop("type"))
    args.pop("_scope_", None)
    check_arguments(obj_cls, args, key_path)
    return obj_cls(**args)
