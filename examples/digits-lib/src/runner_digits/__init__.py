"""runner-digits: an example plugin library for runner-core.

Everything here reaches the Runner through entry points declared in this
distribution's ``pyproject.toml``; a config names ``type='DigitsCNN'`` and the
registry imports exactly the module that defines it. Importing this package
imports no torch: the names below load on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .__about__ import __version__

_LAZY = {
    "DigitsDataset": "dataset",
    "RandomShift": "transforms",
    "GaussianNoise": "transforms",
    "DigitsCNN": "model",
    "MacroF1": "metric",
    "BestAccuracyHook": "hooks",
    "DigitsCheckpointHook": "hooks",
    "PerClassValLoop": "loops",
    "digits_default_hooks": "defaults",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runner_digits' has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
