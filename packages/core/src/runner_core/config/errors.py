"""The error a user sees when a config file or a config option is wrong."""

from __future__ import annotations

from runner_core.errors import RunnerError


class ConfigError(RunnerError, ValueError):
    """A config file, a ``_base_`` chain or a ``--cfg-options`` value is invalid.

    The message is one paragraph that names the file (and line or key) at fault
    and, where it can, the fix.
    """


class CustomImportError(ConfigError, ImportError):
    """A module listed in a config's ``custom_imports`` could not be imported."""
