"""The error a user sees when a config file or a config option is wrong.

Each one also subclasses the standard exception MMEngine raises in the same
place (a syntax error is a ``SyntaxError``, a missing ``{{_base_.x}}`` a
``KeyError``), so ``except`` clauses written for MMEngine keep working.
"""

from __future__ import annotations

from ..errors import (
    ConfigAssertionError,
    ConfigAttributeError,
    ConfigError,
    ConfigFileNotFoundError,
    ConfigFormatError,
    ConfigImportError,
    ConfigIndentationError,
    ConfigKeyError,
    ConfigModuleNotFoundError,
    ConfigNameError,
    ConfigSyntaxError,
    ConfigTypeError,
)

__all__ = [
    "ConfigAssertionError",
    "ConfigAttributeError",
    "ConfigError",
    "ConfigFileNotFoundError",
    "ConfigFormatError",
    "ConfigImportError",
    "ConfigIndentationError",
    "ConfigKeyError",
    "ConfigModuleNotFoundError",
    "ConfigNameError",
    "ConfigSyntaxError",
    "ConfigTypeError",
    "CustomImportError",
    "MissingKeyError",
]


class CustomImportError(ConfigError, ImportError):
    """A module listed in a config's ``custom_imports`` could not be imported."""


class MissingKeyError(AttributeError, KeyError):
    """``del cfg.key`` of a key that is absent: MMEngine's KeyError, Python's AttributeError."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
