"""Decorators that check an optional package or program is there before a function runs.

Code with optional extras (``@requires_package('scipy')``,
``@requires_executable('ffmpeg')``) fails at the call with the names to
install, rather than deep inside with a NameError; as in MMEngine 0.10.7 the
check runs on every call and raises a ``RuntimeError``.
"""

from __future__ import annotations

import functools
import importlib
import shutil
from collections.abc import Callable
from typing import Any, TypeVar, cast

from ..errors import RunnerError

__all__ = [
    "PrerequisiteError",
    "check_prerequisites",
    "requires_executable",
    "requires_package",
]

F = TypeVar("F", bound=Callable[..., Any])

_DEFAULT_TMPL = (
    'Prerequisites "{}" are required in method "{}" but not found, please install them first.'
)


class PrerequisiteError(RunnerError):
    """A decorated function's packages or programs are missing (MMEngine: RuntimeError)."""


def check_prerequisites(
    prerequisites: str | list[str],
    checker: Callable[[str], bool],
    msg_tmpl: str = _DEFAULT_TMPL,
    hint: Callable[[list[str]], str] | None = None,
) -> Callable[[F], F]:
    """A decorator that raises PrerequisiteError when ``checker`` is False for any prerequisite.

    ``msg_tmpl`` is formatted with the missing names (comma-separated) and the
    function's name; ``hint(missing)`` (how to install them) is appended. MMEngine
    prints that message and raises ``RuntimeError('Prerequisites not meet.')``:
    here the message is the error's.
    """

    def decorator(func: F) -> F:
        @functools.wraps(func)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            wanted = [prerequisites] if isinstance(prerequisites, str) else prerequisites
            missing = [item for item in wanted if not checker(item)]
            if missing:
                message = msg_tmpl.format(", ".join(missing), func.__name__)
                if hint is not None:
                    message += " " + hint(missing)
                raise PrerequisiteError(message)
            return func(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


def _is_importable(package: str) -> bool:
    """Whether ``import package`` succeeds (MMEngine imports it to check)."""
    try:
        importlib.import_module(package)
    except ImportError:
        return False
    return True


def _is_on_path(cmd: str) -> bool:
    """Whether ``cmd`` is an executable on PATH (MMEngine asks ``which``)."""
    return shutil.which(cmd) is not None


def requires_package(prerequisites: str | list[str]) -> Callable[[F], F]:
    """A decorator: the function raises PrerequisiteError unless every package imports."""
    return check_prerequisites(
        prerequisites,
        checker=_is_importable,
        hint=lambda missing: (
            f"Install them with `pip install {' '.join(missing)}` (a distribution's name can "
            "differ from its module's)."
        ),
    )


def requires_executable(prerequisites: str | list[str]) -> Callable[[F], F]:
    """A decorator: the function raises PrerequisiteError unless every program is on PATH."""
    return check_prerequisites(
        prerequisites,
        checker=_is_on_path,
        hint=lambda missing: (
            f"Install {', '.join(missing)} and make sure the folder holding it is on PATH."
        ),
    )
