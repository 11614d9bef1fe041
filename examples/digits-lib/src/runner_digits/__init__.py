"""runner-digits: an example plugin library for runner-core.

Everything here reaches the Runner through entry points declared in this
distribution's ``pyproject.toml``; a config names ``type='DigitsCNN'`` and the
registry imports exactly the module that defines it. Importing this package
imports no torch: the names below load on first use.
"""

from __future__ import annotations

from runner_core.lazy import lazy_exports

from .__about__ import __version__

_LAZY = {
    "DigitsDataset": ".dataset",
    "RandomShift": ".transforms",
    "GaussianNoise": ".transforms",
    "DigitsCNN": ".model",
    "MacroF1": ".metric",
    "BestAccuracyHook": ".hooks",
    "DigitsCheckpointHook": ".hooks",
    "PerClassValLoop": ".loops",
    "digits_default_hooks": ".defaults",
}

__all__ = ["__version__", *_LAZY]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
