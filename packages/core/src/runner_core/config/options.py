"""``--cfg-options KEY=VALUE ...``: MMEngine's override syntax, parsed.

Values are read as MMEngine's ``DictAction`` reads them, so command lines
written for MMEngine give the same config: ``1`` is an int, ``1.5``/``1e-3``/
``inf`` floats, ``true``/``False`` booleans, ``None`` is None, ``a,b`` and
``[a,b]`` lists, ``(a,b)`` tuples (nested brackets allowed), surrounding
quotes are stripped, and anything else stays a string. A value holding
``dict(`` or starting with ``{`` is read as a Python literal instead
(``custom_hooks=[dict(type='EMAHook')]``; see :mod:`.literal`).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from typing import Any

from .errors import ConfigError
from .literal import looks_like_python_literal, parse_python_literal


def parse_scalar(text: str) -> Any:
    """Read one option value: int, float, bool, None, or the string itself."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text == "None":
        return None
    return text


def _check_brackets(text: str, whole: str, option: str) -> None:
    if text.count("(") != text.count(")") or text.count("[") != text.count("]"):
        raise ConfigError(
            f"{option} value {whole!r} has unbalanced brackets; check every '(' and '[' "
            "is closed (quote the value in the shell so it reaches the program unchanged)."
        )


def _next_top_level_comma(text: str) -> int:
    depth_round = depth_square = 0
    for index, char in enumerate(text):
        if char == "(":
            depth_round += 1
        elif char == ")":
            depth_round -= 1
        elif char == "[":
            depth_square += 1
        elif char == "]":
            depth_square -= 1
        elif char == "," and depth_round == 0 and depth_square == 0:
            return index
    return len(text)


def parse_option_value(
    text: str, _whole: str | None = None, *, option: str = "--cfg-options"
) -> Any:
    """Read an option value, with lists, tuples and nesting (``[(1,2),[3,4],5]``).

    ``option``: the command-line option the value came from, named in errors."""
    whole = text if _whole is None else _whole
    if _whole is None and looks_like_python_literal(text):  # [dict(type='X')], {'a': 1}
        return parse_python_literal(text, whole, option=option)
    text = text.strip("'\"").replace(" ", "")
    is_tuple = bracketed = False
    if text.startswith("(") and text.endswith(")"):
        is_tuple = bracketed = True
        text = text[1:-1]
    elif text.startswith("[") and text.endswith("]"):
        bracketed = True
        text = text[1:-1]
    elif "," not in text:
        return parse_scalar(text)
    _check_brackets(text, whole, option)
    if not bracketed and _next_top_level_comma(text) == len(text):
        # e.g. dict(a=1,b=2): no top-level comma to split at; reading on would never end
        raise ConfigError(
            f"{option} value {whole!r} cannot be read: {text!r} is not a number, a "
            "string, a list [a,b] or a tuple (a,b). Set nested keys one at a time, e.g. "
            "param_scheduler.0.milestones=[3], or write a Python literal with dict(...): "
            "custom_hooks='[dict(type=\"EMAHook\")]'."
        )
    values = []
    while text:
        comma = _next_top_level_comma(text)
        values.append(parse_option_value(text[:comma], whole, option=option))
        text = text[comma + 1 :]
    return tuple(values) if is_tuple else values


def parse_cfg_options(items: Iterable[str], *, option: str = "--cfg-options") -> dict[str, Any]:
    """Turn ``["a.b=1", "c=[1,2]"]`` into ``{"a.b": 1, "c": [1, 2]}`` (last one wins).

    ``option``: the command-line option the items came from, named in errors."""
    if isinstance(items, str):
        items = [items]
    options: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"{option} expects KEY=VALUE items, got {item!r}"
                + (" (no '=' in it)" if not sep else " (the key before '=' is empty)")
                + "; write it as e.g. train_cfg.max_epochs=10 or model.backbone.depth=50."
            )
        options[key.strip()] = parse_option_value(value, option=option)
    return options


class DictAction(argparse.Action):
    """MMEngine's ``DictAction``: ``--cfg-options a.b=1 c=[1,2]`` as ``{'a.b': 1, 'c': [1, 2]}``.

    For the ``tools/train.py`` scripts of downstream projects
    (``parser.add_argument('--cfg-options', nargs='+', action=DictAction)``,
    then ``cfg.merge_from_dict(args.cfg_options)``). Values are read by
    :func:`parse_cfg_options`; a repeated option adds to the same dict; a
    malformed item is the parser's usage error.
    """

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        options = dict(getattr(namespace, self.dest, None) or {})
        items = [values] if isinstance(values, str) else list(values or [])
        try:
            options.update(parse_cfg_options(items, option=option_string or self.dest))
        except ConfigError as exc:
            parser.error(str(exc))
        setattr(namespace, self.dest, options)

    # MMEngine's static helpers, which downstream scripts call: mmpretrain's
    # tools/analysis_tools/eval_metric.py reads its --metric items with _parse_iterable
    @staticmethod
    def _parse_int_float_bool(val: str) -> Any:
        """One value as an int, float, bool, None or the string (MMEngine's name)."""
        return parse_scalar(val)

    @staticmethod
    def _parse_iterable(val: str) -> Any:
        """One value with lists and tuples, ``'[a,(b,c)]'`` (MMEngine's name)."""
        return parse_option_value(val)
