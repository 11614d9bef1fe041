"""Running a Python config file's code, with errors that point into the file.

Config files are executed with their own globals. Their builtins carry an
``__import__`` that answers ``mmengine.config`` (and ``runner_core.config``)
with this package's ``read_base``/``Config``, so real-world configs written
for MMEngine run without MMEngine being installed.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import sys
import threading
import traceback
import types
from typing import Any

from .errors import (
    ConfigAssertionError,
    ConfigAttributeError,
    ConfigError,
    ConfigFileNotFoundError,
    ConfigImportError,
    ConfigIndentationError,
    ConfigKeyError,
    ConfigModuleNotFoundError,
    ConfigNameError,
    ConfigSyntaxError,
    ConfigTypeError,
)

# ``__name__`` of a config file's code, hence ``__module__`` of the classes and
# functions it defines: no module of that name exists to import them from.
CONFIG_MODULE_NAME = "__config__"

# Modules whose names a config may import for real: they resolve to this package.
CONFIG_MODULE_ALIASES = ("mmengine.config", "runner_core.config")

# How many config files are being read (their code running) in this thread.
_READING = threading.local()

# What an exception raised by config code becomes: a ConfigError that is still
# the exception MMEngine lets through (it runs config code unguarded). Most
# specific first; anything else is a plain ConfigError.
_ERROR_TYPES: tuple[tuple[type[BaseException], type[ConfigError]], ...] = (
    (NameError, ConfigNameError),
    (AttributeError, ConfigAttributeError),
    (KeyError, ConfigKeyError),
    (TypeError, ConfigTypeError),
    (ModuleNotFoundError, ConfigModuleNotFoundError),
    (ImportError, ConfigImportError),
    (FileNotFoundError, ConfigFileNotFoundError),
    (AssertionError, ConfigAssertionError),
)

# ConfigErrors made on first use for any other type config code raises (IndexError,
# ZeroDivisionError, PermissionError, a library's own error), so ``except IndexError:``
# written for MMEngine still catches it; None where a type cannot take one message.
_DERIVED: dict[type[BaseException], type[ConfigError] | None] = {}


def _rebuild(kind: type[BaseException], message: str) -> ConfigError:
    """Unpickle a derived error in a process that has not made its class yet."""
    return config_error_type(kind)(message)


def config_error_type(kind: type[BaseException]) -> type[ConfigError]:
    """The ConfigError that is also a ``kind``: what config code's ``kind`` becomes."""
    for theirs, ours in _ERROR_TYPES:
        if issubclass(kind, theirs):
            return ours
    if kind not in _DERIVED:
        try:
            derived = type(
                f"Config{kind.__name__}",
                (ConfigError, kind),
                # by its original type, not its name: no module holds the class to import
                {"__reduce__": lambda self: (_rebuild, (kind, str(self)))},
            )
            # a type that needs several arguments or words its own text stays plain
            fits = str(derived("probe")) == "probe"
        except Exception:  # noqa: BLE001 - incompatible layouts, odd constructors
            fits = False
        _DERIVED[kind] = derived if fits else None
    return _DERIVED[kind] or ConfigError


def _config_api_module() -> types.ModuleType:
    """``mmengine.config`` as a config file sees it: this package's public names.

    Looked up when a config file runs, through the package (already imported
    by then): the modules that read and run config files sit below ``Config``
    and must not import it (no import cycle inside the package).
    """
    package = importlib.import_module(__package__ or "runner_core.config")
    module = types.ModuleType("mmengine.config")
    for name in ("read_base", "Config", "ConfigDict"):
        setattr(module, name, getattr(package, name))
    return module


def _intercepting_import(
    name: str,
    globals: dict[str, Any] | None = None,
    locals: dict[str, Any] | None = None,
    fromlist: tuple[str, ...] | list[str] | None = (),
    level: int = 0,
) -> Any:
    if level == 0:
        if name in CONFIG_MODULE_ALIASES or name.startswith("mmengine.config."):
            if name.startswith("runner_core"):
                return builtins.__import__(name, globals, locals, fromlist, level)
            api = _config_api_module()
            if fromlist:
                return api
            parent = types.ModuleType("mmengine")
            parent.config = api  # type: ignore[attr-defined]
            return parent
        if name == "mmengine" and fromlist and tuple(fromlist) == ("Config",):
            parent = types.ModuleType("mmengine")
            parent.Config = _config_api_module().Config  # type: ignore[attr-defined]
            return parent
        if name == "mmengine" and fromlist and "config" in fromlist:
            parent = types.ModuleType("mmengine")
            parent.config = _config_api_module()  # type: ignore[attr-defined]
            return parent
    return builtins.__import__(name, globals, locals, fromlist, level)


def make_globals(filename: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Fresh globals for executing the config file ``filename``."""
    config_builtins = dict(vars(builtins))
    config_builtins["__import__"] = _intercepting_import
    namespace: dict[str, Any] = {
        "__builtins__": config_builtins,
        "__file__": filename,
        "__name__": CONFIG_MODULE_NAME,
    }
    if extra:
        namespace.update(extra)
    return namespace


def parse_source(source: str, filename: str) -> ast.Module:
    """Parse Python config source; a syntax error names the file, line and text."""
    try:
        return ast.parse(source, filename=filename)
    except SyntaxError as exc:
        line = (exc.text or "").rstrip()
        pointer = f": `{line.strip()}`" if line.strip() else ""
        kind = ConfigIndentationError if isinstance(exc, IndentationError) else ConfigSyntaxError
        raise kind(
            f"{filename}:{exc.lineno}: syntax error in the config file ({exc.msg}){pointer}. "
            "Python config files must be valid Python.",
            (filename, exc.lineno, exc.offset, exc.text, exc.end_lineno, exc.end_offset),
        ) from None


def reading_config() -> bool:
    """Whether this thread is reading a config file (running its top-level code).

    A pure-Python config's imports stay placeholders while it is read; the
    functions it defines use them for real when they run afterwards.
    """
    return getattr(_READING, "depth", 0) > 0


def _name_hint(exc: Exception, namespace: dict[str, Any]) -> str:
    """Python's "did you mean" for a misspelt name (its traceback prints one; the message
    alone does not): the names the config had defined by then."""
    if not isinstance(exc, NameError) or exc.name is None:
        return ""
    from ..errors import did_you_mean

    return did_you_mean(exc.name, [n for n in namespace if not n.startswith("__")])


def run_module(tree: ast.Module, filename: str, namespace: dict[str, Any]) -> None:
    """Execute ``tree`` in ``namespace``; a failure names the config file and line."""
    code = compile(ast.fix_missing_locations(tree), filename, "exec")
    _READING.depth = getattr(_READING, "depth", 0) + 1
    try:
        exec(code, namespace)
    except ConfigError:
        raise
    except Exception as exc:
        line = None
        for frame in traceback.extract_tb(sys.exc_info()[2]):
            if frame.filename == filename:
                line = frame.lineno
        where = f"{filename}:{line}" if line else filename
        error = config_error_type(type(exc))
        hint = _name_hint(exc, namespace)
        raise error(
            f"{where}: running the config raised {type(exc).__name__}: {exc}"
            + (f".{hint}" if hint else "")
        ) from exc
    finally:
        _READING.depth -= 1
