"""Python literal syntax in ``--cfg-options`` values: ``[dict(type='EMAHook')]``, ``{'a': 1}``.

MMEngine's syntax (``a,b``, ``[1,2]``, ``(a,b)``) has no way to write a dict,
so ``custom_hooks=[dict(type="X")]`` used to become a list holding the
*string* ``'dict(type="X")'``. A value that contains ``dict(`` or starts with
``{`` is now read as a Python literal: numbers, strings, True/False/None,
lists, tuples, dicts and ``dict(key=value, ...)`` calls, nested; a bare
(dotted) name is a string, since the shell strips the quotes of
``type="EMAHook"``. Nothing else: a command line never runs code.

The same reading serves a config *text* kept inside a checkpoint
(:func:`read_saved_config`): a checkpoint is untrusted input, and the text its
config was saved as (``name = value`` lines, MMEngine's or ours) is data.
"""

from __future__ import annotations

import ast
import math
from typing import Any

from .errors import ConfigError


def looks_like_python_literal(text: str) -> bool:
    """Whether ``text`` needs the Python reading (MMEngine's syntax cannot express it)."""
    stripped = text.strip()
    return "dict(" in stripped.replace(" ", "") or stripped.startswith("{")


def parse_python_literal(
    text: str, whole: str | None = None, *, option: str = "--cfg-options"
) -> Any:
    """Read ``text`` as a Python literal (``dict(...)`` calls allowed); ConfigError if it is not.

    ``option``: the command-line option the value came from, named in the error."""
    shown = whole if whole is not None else text
    try:
        tree = ast.parse(text.strip(), mode="eval")
        return _value(tree.body)
    except (SyntaxError, ValueError) as exc:
        raise ConfigError(
            f"{option} value {shown!r} looks like Python (a dict) but cannot be read: "
            f'{exc}. Write a Python literal, e.g. custom_hooks=\'[dict(type="EMAHook", '
            "momentum=0.001)]' or model.head='{\"num_classes\": 10}' (strings in quotes, and "
            "the whole value in single quotes for the shell)."
        ) from None


def read_saved_config(text: str) -> dict[str, Any]:
    """A config's saved text (``cfg.pretty_text``: ``name = value`` lines) read as data.

    Never executed: literals, ``dict(...)`` (MMEngine's ``dict({3: 'x'})`` too),
    sets, and the spellings of infinite and NaN floats both libraries write
    (``inf``, ``float('nan')``, ``(1e999 - 1e999)``). Anything else is a
    ``ValueError`` naming its line; ``SyntaxError`` for text that is not Python.
    """
    found: dict[str, Any] = {}
    for node in ast.parse(text).body:
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            raise ValueError(f"line {node.lineno} is not `name = value`")
        try:
            found[node.targets[0].id] = _value(node.value, saved=True)
        except ValueError as exc:
            raise ValueError(f"line {node.lineno}: {exc}") from None
    return found


_FLOAT_NAMES = {"inf": math.inf, "nan": math.nan}  # MMEngine's text of such floats


def _value(node: ast.AST, saved: bool = False) -> Any:
    """``node`` as data. ``saved``: a saved config's text, where a bare name is not a
    string (the shell's lost quotes) but only ``inf``/``nan``."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List):
        return [_value(item, saved) for item in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_value(item, saved) for item in node.elts)
    if saved and isinstance(node, ast.Set):
        return {_value(item, saved) for item in node.elts}
    if isinstance(node, ast.Dict):
        out = {}
        for key, item in zip(node.keys, node.values):
            if key is None:
                raise ValueError("'**' unpacking is not allowed")
            out[_value(key, saved)] = _value(item, saved)
        return out
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _value(node.operand, saved)
        if isinstance(operand, (int, float)) and not isinstance(operand, bool):
            return -operand if isinstance(node.op, ast.USub) else operand
    if saved:
        special = _saved_float(node)
        if special is not None:
            return special
    elif isinstance(node, (ast.Name, ast.Attribute)) and _dotted(node):
        # a bare name is a string, as in MMEngine's syntax: the shell eats the quotes of
        # custom_hooks=[dict(type="EMAHook")] unless the whole value is quoted
        return ast.unparse(node)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        if len(node.args) > 1 or any(kw.arg is None for kw in node.keywords):
            raise ValueError("dict(...) takes keyword arguments only, e.g. dict(type='EMAHook')")
        out = {}
        if node.args:  # dict({3: 'x', 'a/b': 1}): keys that are not names
            first = _value(node.args[0], saved)
            if not isinstance(first, dict):
                raise ValueError(f"{ast.unparse(node)!r}: dict() takes a {{...}} literal")
            out.update(first)
        out.update({kw.arg: _value(kw.value, saved) for kw in node.keywords})
        return out
    raise ValueError(
        f"{ast.unparse(node)[:80]!r} is not a literal (only literals, names and dict(...) "
        "are allowed)"
    )


def _saved_float(node: ast.AST) -> float | None:
    """``inf``, ``nan``, ``float('-inf')`` or ``(1e999 - 1e999)``; None for anything else."""
    if isinstance(node, ast.Name):
        return _FLOAT_NAMES.get(node.id)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "float"
        and len(node.args) == 1
        and not node.keywords
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value in ("inf", "-inf", "nan")
    ):
        return float(str(node.args[0].value))
    if (  # NaN where a key named `float` shadows the builtin
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Sub)
        and all(isinstance(side, ast.Constant) for side in (node.left, node.right))
        and node.left.value == node.right.value == math.inf  # type: ignore[attr-defined]
    ):
        return math.nan
    return None


def _dotted(node: ast.AST) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)
