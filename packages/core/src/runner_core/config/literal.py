"""Python literal syntax in ``--cfg-options`` values: ``[dict(type='EMAHook')]``, ``{'a': 1}``.

MMEngine's syntax (``a,b``, ``[1,2]``, ``(a,b)``) has no way to write a dict,
so ``custom_hooks=[dict(type="X")]`` used to become a list holding the
*string* ``'dict(type="X")'``. A value that contains ``dict(`` or starts with
``{`` is now read as a Python literal: numbers, strings, True/False/None,
lists, tuples, dicts and ``dict(key=value, ...)`` calls, nested; a bare
(dotted) name is a string, since the shell strips the quotes of
``type="EMAHook"``. Nothing else: a command line never runs code.
"""

from __future__ import annotations

import ast
from typing import Any, cast

from .errors import ConfigError


def looks_like_python_literal(text: str) -> bool:
    """Whether ``text`` needs the Python reading (MMEngine's syntax cannot express it)."""
    stripped = text.strip()
    return "dict(" in stripped.replace(" ", "") or stripped.startswith("{")


def parse_python_literal(text: str, whole: str | None = None) -> Any:
    """Read ``text`` as a Python literal (``dict(...)`` calls allowed); ConfigError if it is not."""
    shown = whole if whole is not None else text
    try:
        tree = ast.parse(text.strip(), mode="eval")
        return _value(tree.body)
    except (SyntaxError, ValueError) as exc:
        raise ConfigError(
            f"--cfg-options value {shown!r} looks like Python (a dict) but cannot be read: "
            f'{exc}. Write a Python literal, e.g. custom_hooks=\'[dict(type="EMAHook", '
            "momentum=0.001)]' or model.head='{\"num_classes\": 10}' (strings in quotes, and "
            "the whole value in single quotes for the shell)."
        ) from None


def _value(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List):
        return [_value(item) for item in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_value(item) for item in node.elts)
    if isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            raise ValueError("'**' unpacking is not allowed")
        # The check above rules out None keys.
        return {_value(cast(ast.expr, k)): _value(v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _value(node.operand)
        if isinstance(operand, (int, float)) and not isinstance(operand, bool):
            return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, (ast.Name, ast.Attribute)) and _dotted(node):
        # a bare name is a string, as in MMEngine's syntax: the shell eats the quotes of
        # custom_hooks=[dict(type="EMAHook")] unless the whole value is quoted
        return ast.unparse(node)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        if node.args or any(kw.arg is None for kw in node.keywords):
            raise ValueError("dict(...) takes keyword arguments only, e.g. dict(type='EMAHook')")
        return {kw.arg: _value(kw.value) for kw in node.keywords}
    raise ValueError(
        f"{ast.unparse(node)!r} is not a literal (only literals, names and dict(...) are allowed)"
    )


def _dotted(node: ast.AST) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)
