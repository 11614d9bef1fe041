"""Decorators that keep old call forms working while telling callers to move on.

OpenMMLab code renames keyword arguments with ``deprecated_api_warning`` and
retires functions with ``deprecated_function``; both behave as MMEngine
0.10.7's, so a library ported to runner warns its users the same way.
"""

from __future__ import annotations

import functools
import inspect
import logging
import re
import textwrap
import warnings
from collections.abc import Callable
from typing import Any, TypeVar, cast

from ..errors import RunnerError

__all__ = ["DeprecatedArgumentError", "deprecated_api_warning", "deprecated_function"]

F = TypeVar("F", bound=Callable[..., Any])


class DeprecatedArgumentError(RunnerError, TypeError, AssertionError):
    """A call passed both a deprecated keyword and its new name (MMEngine asserts)."""


def deprecated_api_warning(
    name_dict: dict[str, str], cls_name: str | None = None
) -> Callable[[F], F]:
    """Accept ``old=`` for renamed keyword arguments (``{'old': 'new'}``), with a DeprecationWarning.

    The value is passed on as ``new=``. A positional argument whose parameter
    carries an old name only warns, as in MMEngine. ``cls_name`` prefixes the
    function's name in the warning (``Class.method``).
    """

    def decorator(old_func: F) -> F:
        func_name = old_func.__name__ if cls_name is None else f"{cls_name}.{old_func.__name__}"
        param_names = inspect.getfullargspec(old_func).args

        @functools.wraps(old_func)
        def new_func(*args: Any, **kwargs: Any) -> Any:
            if args:
                arg_names = param_names[: len(args)]
                for src, dst in name_dict.items():
                    if src in arg_names:
                        warnings.warn(
                            f'"{src}" is deprecated in `{func_name}`, please use "{dst}" instead',
                            DeprecationWarning,
                            stacklevel=2,
                        )
                        arg_names[arg_names.index(src)] = dst
            for src, dst in name_dict.items():
                if src not in kwargs:
                    continue
                if dst in kwargs:
                    raise DeprecatedArgumentError(
                        f"`{func_name}` got both the deprecated argument `{src}` and its new "
                        f"name `{dst}`, which is confusing: the expected behavior is to replace "
                        f"the deprecated key `{src}` with the new key `{dst}`. Pass `{dst}` only; "
                        f"`{src}` will be removed in the future."
                    )
                warnings.warn(
                    f'"{src}" is deprecated in `{func_name}`, please use "{dst}" instead',
                    DeprecationWarning,
                    stacklevel=2,
                )
                kwargs[dst] = kwargs.pop(src)
            return old_func(*args, **kwargs)

        return cast(F, new_func)

    return decorator


def _deprecated_docstring(doc: str, since: str, removed_in: str, instructions: str) -> str:
    """``doc`` led by a Sphinx ``.. deprecated::`` note, indented as MMEngine indents it."""
    note = (
        f".. deprecated:: {since}\n"
        f"    Deprecated and will be removed in version {removed_in}.\n"
        f"    Please {instructions}.\n"
    )
    indent = "    "
    parts = re.split("\n\n", doc, maxsplit=1)
    summary = "\n".join(textwrap.dedent(line) for line in parts[0].split("\n"))
    summary = textwrap.indent(summary, indent)
    if len(parts) == 1:
        return f"{note}\n\n{summary}"
    body = textwrap.indent(textwrap.dedent(parts[1]), indent)
    return f"{note}\n\n{summary}\n\n{body}"


def deprecated_function(since: str, removed_in: str, instructions: str) -> Callable[[F], F]:
    """Log a WARNING on each call of the decorated function and note it in its docstring.

    The warning goes to the current run's logger (``print_log(...,
    logger='current')``), as MMEngine's, naming ``module.function``, the
    versions and ``instructions`` ("use x instead").
    """

    def decorator(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from ..logging.print_log import print_log

            print_log(
                f"'{function.__module__}.{function.__name__}' is deprecated in version {since} "
                f"and will be removed in version {removed_in}. Please {instructions}.",
                logger="current",
                level=logging.WARNING,
            )
            return function(*args, **kwargs)

        wrapper.__doc__ = _deprecated_docstring(
            function.__doc__ or "", since, removed_in, instructions
        )
        return cast(F, wrapper)

    return decorator
