"""Bad numbers are input errors, reported against the config key that holds them.

``lr='abc'`` used to fail inside torch as "'<' not supported between 'str'
and 'float'", and ``lr=-1`` as "Invalid learning rate: -1", both as
unexpected errors with no config key. :func:`check_number` checks a value
where it is read, and :func:`config_errors` turns the ``ValueError`` /
``TypeError`` a torch class raises for its arguments into a
:class:`~runner_core.errors.ConfigError` naming the key that built it; both
before any training.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import re
from collections.abc import Iterator
from typing import Any

from .errors import ConfigError, ConfigTypeError, RunnerError, name_config_key

__all__ = ["check_number", "config_errors", "refuse_class"]

#: a config key --cfg-options can set: lower-case dotted names (list items by number)
_DOTTED_KEY = re.compile(r"[a-z_]\w*(\.\w+)*")


def refuse_class(value: Any, key: str, what: str) -> None:
    """Raise ConfigTypeError for a class where an object belongs (``model=MyNet``): it
    used to fail far away, as "'torch.device' object has no attribute '_apply'"."""
    if isinstance(value, type):
        name = value.__name__
        raise ConfigTypeError(
            f"{key} is the class {name}, not {what}: pass an instance ({key}={name}(...)) "
            f"or a config ({key}=dict(type={name}, ...))."
        )


def check_number(
    value: Any,
    key: str,
    *,
    minimum: float | None = None,
    above: float | None = None,
    integer: bool = False,
    example: str = "",
) -> Any:
    """Return ``value`` if it is a number in range; else raise ConfigError naming ``key``
    (a ConfigTypeError, also a TypeError, when it is not a number at all).

    ``minimum``: smallest allowed value; ``above``: the value must be larger;
    ``integer``: whole numbers only (``2.0`` is accepted as 2). Booleans are
    not numbers here.
    """
    kind = "an integer" if integer else "a number"
    bounds = ""
    if minimum is not None:
        bounds = f" >= {minimum}"
    if above is not None:
        bounds = f" > {above}"
    hint = f" e.g. {example}." if example else ""
    is_number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    ok = is_number
    if ok and value != value:  # NaN
        ok = False
    # int() of inf or NaN raises a bare OverflowError/ValueError naming no key
    if ok and integer and (not math.isfinite(value) or value != int(value)):
        ok = False
    if ok and minimum is not None and value < minimum:
        ok = False
    if ok and above is not None and value <= above:
        ok = False
    if not ok:
        # --cfg-options reaches dotted names only: not custom_keys['a.b'] nor metrics[0]
        where = (
            f" Fix it in the config (or with --cfg-options {key}=...)."
            if _DOTTED_KEY.fullmatch(key)
            else ""
        )
        # not a number at all (lr='0.1') is a TypeError too, as torch's comparison raises
        error = ConfigError if is_number else ConfigTypeError
        raise error(f"{key}={value!r} is not valid: it must be {kind}{bounds}.{hint}{where}")
    return int(value) if integer else value


def refuse_string_switch(value: Any, key: str) -> None:
    """Refuse a switch given as a string: ``'False'`` would count as True. (Other values
    are read for their truth, as MMEngine reads them.)"""
    if isinstance(value, str):
        raise ConfigTypeError(
            f"{key}={value!r} is not valid: it must be True or False (a string such as "
            "'False' would count as True)."
        )


@contextlib.contextmanager
def config_errors(key: str, what: str) -> Iterator[None]:
    """Report a ``ValueError``/``TypeError`` raised while building ``what`` against ``key``
    (a refusal of our own keeps its type and words, with the key added)."""
    try:
        yield
    except RunnerError as exc:
        name_config_key(exc, key)
        raise
    except (ValueError, TypeError, ZeroDivisionError) as exc:
        raise ConfigError(
            f"{key} ({what}) refused its arguments: {type(exc).__name__}: "
            f"{' '.join(str(exc).split())}. Check the values under {key} in the config."
        ) from exc
