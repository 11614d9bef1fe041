"""The error a user sees when a config file or a config option is wrong."""

from __future__ import annotations

from runner_core.errors import (
    ConfigError,
    ConfigFileNotFoundError,
    ConfigKeyError,
    ConfigTypeError,
)

__all__ = [
    "ConfigError",
    "ConfigFileNotFoundError",
    "ConfigKeyError",
    "ConfigTypeError",
    "CustomImportError",
]


class CustomImportError(ConfigError, ImportError):
    """A module listed in a config's ``custom_imports`` could not be imported."""
