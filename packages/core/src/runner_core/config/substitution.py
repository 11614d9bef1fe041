"""Textual substitutions applied to a config file's source before it is parsed.

MMEngine applies these to the raw text of every file (Python, JSON or YAML):
``{{ fileDirname }}`` and friends, ``{{$ENV:default}}``, and ``{{_base_.a.b}}``,
which becomes a quoted placeholder that is swapped for the base's value once
the bases are loaded.
"""

from __future__ import annotations

import ast
import copy
import io
import json
import os
import re
import tokenize
import uuid
from collections.abc import Callable
from typing import Any

from .errors import ConfigError, ConfigKeyError

BASE_KEY = "_base_"

_ENV_PATTERN = re.compile(r"\{\{['\"]?\s*\$(\w+)\s*:\s*(\S*?)\s*['\"]?\}\}")
_BASE_REF_PATTERN = re.compile(r"\{\{\s*" + BASE_KEY + r"\.([\w.]+)\s*\}\}")
# the same reference as a whole quoted string: "{{_base_.x}}" (JSON needs the quotes)
_QUOTED_BASE_REF_PATTERN = re.compile(r"(['\"])" + _BASE_REF_PATTERN.pattern + r"\1")


def predefined_variables(filename: str) -> dict[str, str]:
    """The ``{{ name }}`` variables every config file may use, for ``filename``."""
    basename = os.path.basename(filename)
    return {
        "fileDirname": os.path.dirname(filename).replace("\\", "/"),
        "fileBasename": basename,
        "fileBasenameNoExtension": os.path.splitext(basename)[0],
        "fileExtname": os.path.splitext(filename)[1],
    }


def substitute_predefined_variables(text: str, filename: str) -> str:
    """Replace ``{{ fileDirname }}``-style templates with their values for ``filename``."""
    for name, value in predefined_variables(filename).items():
        text = re.sub(r"\{\{\s*" + name + r"\s*\}\}", _literal(value), text)
    return text


#: characters that end or change a string literal (Python, JSON, YAML) a path is pasted into
_LITERAL_BREAKERS = ("'", '"', "\\", "\n")


#: each variable computed from ``__file__`` (a .py config's own path), which needs no quoting
_FROM_FILE = {
    "fileDirname": "os.path.dirname(__file__)",
    "fileBasename": "os.path.basename(__file__)",
    "fileBasenameNoExtension": "os.path.splitext(os.path.basename(__file__))[0]",
    "fileExtname": "os.path.splitext(__file__)[1]",
}


def substitution_quoting_hint(source: str, filename: str) -> str:
    """Why a file that does not parse may be fine as written: a pasted path broke a literal.

    ``{{ fileDirname }}`` and friends are replaced as text (as in MMEngine), so
    a folder named ``it's`` inside ``'{{ fileDirname }}/data'`` ends the string
    early. Returns a sentence for the syntax error, or ``''`` when no template
    the file uses has such a value.
    """
    for name, value in predefined_variables(filename).items():
        used = re.search(r"\{\{\s*" + name + r"\s*\}\}", source)
        if used and any(char in value for char in _LITERAL_BREAKERS):
            return (
                f" This may come from {used.group(0)} in the file: it is replaced as text by "
                f"{value!r}, whose quote or backslash ends or changes the string it is pasted "
                "into. Rename the folder or file without quotes and backslashes"
                + (
                    f", or compute it in Python (import os): {_FROM_FILE[name]}."
                    if filename.endswith(".py")
                    else "."
                )
            )
    return ""


def _literal(value: str) -> Callable[[re.Match[str]], str]:
    """A ``re.sub`` replacement inserting ``value`` as it is (no backslash escapes)."""
    return lambda _m: value


def substitute_environment_variables(text: str, filename: str) -> tuple[str, dict[str, str]]:
    """Replace ``{{$NAME:default}}`` with ``$NAME`` or the default.

    A value from the environment that lands inside a string literal is escaped
    for that literal (Python, JSON or YAML quoting), so ``D:\\new\\x41`` stays
    those characters instead of becoming a newline and ``A``; MMEngine pastes it
    as it is. Elsewhere (``bs = {{$BATCH:8}}``) it is pasted as code, and a
    default is always pasted as written, since the file's author wrote it there.

    Returns the new text and the environment variables that were used.
    """
    used: dict[str, str] = {}
    values: list[str] = []
    tag = f"runnerenv{uuid.uuid4().hex[:8]}n"

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            used[name] = os.environ[name]
            values.append(os.environ[name])
            return f"{tag}{len(values) - 1}x"
        if not default:
            raise ConfigKeyError(
                f"{filename}: the config uses the environment variable ${name}, which is not "
                f"set and has no default; set it (export {name}=...) or write "
                f"{{{{${name}:default}}}} in the config."
            )
        return default

    text = _ENV_PATTERN.sub(replace, text)
    if not values:
        return text, used
    marker = re.compile(re.escape(tag) + r"(\d+)x")
    escapes = _string_escapes(text, marker, os.path.splitext(filename)[1].lower())
    return marker.sub(lambda m: escapes.get(m.start(), _as_is)(values[int(m.group(1))]), text), used


def _as_is(value: str) -> str:
    return value


def _python_escape(quote: str, f_string: bool) -> Callable[[str], str]:
    def escape(value: str) -> str:
        value = value.replace("\\", "\\\\").replace(quote, "\\" + quote)
        value = value.replace("\n", "\\n").replace("\r", "\\r")
        return _brace_escape(value) if f_string else value

    return escape


def _brace_escape(value: str) -> str:
    return value.replace("{", "{{").replace("}", "}}")


def _json_escape(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _yaml_single_escape(value: str) -> str:
    return value.replace("'", "''")


def _string_escapes(
    text: str, marker: re.Pattern[str], extension: str
) -> dict[int, Callable[[str], str]]:
    """``{offset of a marker: how to escape its value}`` for markers inside string literals.

    Markers are plain letters and digits, so the text tokenizes as it will
    parse; a file that does not tokenize gets its values as they are (its
    syntax error is reported when it is parsed).
    """
    spans: list[tuple[int, int, Callable[[str], str]]] = []
    if extension == ".py":
        # the lines tokenize reads (str.splitlines also splits at \f, \x85, U+2028, ...)
        lines = io.StringIO(text).readlines()
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(line))
        try:
            # Python 3.12+ splits an f-string into FSTRING_START, FSTRING_MIDDLE, ...
            fstring_start = getattr(tokenize, "FSTRING_START", None)
            opened: list[str] = []  # the prefix and quote of each f-string open here
            for token in tokenize.generate_tokens(io.StringIO(text).readline):
                if fstring_start is not None and token.type == fstring_start:
                    opened.append(token.string)
                    continue
                if opened and token.type == getattr(tokenize, "FSTRING_END", None):
                    opened.pop()
                    continue
                if token.type == tokenize.STRING:
                    opening = token.string
                elif opened and token.type == getattr(tokenize, "FSTRING_MIDDLE", None):
                    opening = opened[-1]
                else:
                    continue
                prefix = re.match(r"[A-Za-z]*", opening)
                letters = prefix.group(0).lower() if prefix else ""
                quote = opening[len(letters)]
                start = starts[token.start[0] - 1] + token.start[1]
                end = starts[token.end[0] - 1] + token.end[1]
                if "r" in letters:  # no escapes in a raw string; braces still, in rf'...'
                    if "f" in letters:
                        spans.append((start, end, _brace_escape))
                    continue
                spans.append((start, end, _python_escape(quote, "f" in letters)))
        except (tokenize.TokenError, SyntaxError):
            return {}
    elif extension == ".json":
        for match in re.finditer(r'"(?:[^"\\]|\\.)*"', text):
            spans.append((match.start(), match.end(), _json_escape))
    elif extension in (".yaml", ".yml"):
        import yaml

        try:
            for scanned in yaml.scan(text, Loader=yaml.SafeLoader):
                style = getattr(scanned, "style", None)
                if isinstance(scanned, yaml.ScalarToken) and style in ("'", '"'):
                    escape: Callable[[str], str] = (
                        _yaml_single_escape if style == "'" else _json_escape
                    )
                    spans.append((scanned.start_mark.index, scanned.end_mark.index, escape))
        except yaml.YAMLError:
            return {}
    escapes: dict[int, Callable[[str], str]] = {}
    for match in marker.finditer(text):
        for start, end, escape in spans:
            if start <= match.start() < end:
                escapes[match.start()] = escape
    return escapes


def pre_substitute_base_references(text: str) -> tuple[str, dict[str, str]]:
    """Turn each ``{{_base_.a.b}}`` into a unique quoted placeholder string.

    A reference that is already a whole quoted string (``"{{_base_.a.b}}"``,
    the only way to write it in valid JSON) is replaced quotes and all, so it
    too becomes the base value; MMEngine leaves the quotes, which gives broken
    JSON or a string holding the placeholder.

    Returns the new text and ``{placeholder: 'a.b'}``.
    """
    placeholders: dict[str, str] = {}
    by_path: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        path = match.group(match.lastindex or 1)
        if path not in by_path:
            key = f"_{path}_{uuid.uuid4().hex[:6]}"
            by_path[path] = key
            placeholders[key] = path
        return f'"{by_path[path]}"'

    text = _QUOTED_BASE_REF_PATTERN.sub(replace, text)
    return _BASE_REF_PATTERN.sub(replace, text), placeholders


#: where a ``{{_base_.x}}`` placeholder may stand in a .py config: as a whole value
_WHOLE_VALUE_PARENTS = (
    ast.Assign,
    ast.AnnAssign,
    ast.List,
    ast.Tuple,
    ast.Set,
    ast.Dict,
    ast.keyword,
)


def check_base_reference_positions(
    tree: ast.Module, placeholders: dict[str, str], filename: str
) -> None:
    """Refuse ``{{_base_.x}}`` used inside an expression of a .py config, naming the line.

    The reference is a placeholder string while the file runs, so
    ``{{_base_.sizes}}[1]``, ``len({{_base_.sizes}})`` or
    ``{{_base_.name}}.upper()`` would silently compute with that string
    (MMEngine gives ``'p'``, ``13``, ``'_NAME_1A2B3C'``).
    """
    if not placeholders:
        return
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            if not (isinstance(child, ast.Constant) and isinstance(child.value, str)):
                continue
            if isinstance(parent, ast.Expr):  # a docstring or bare string: no config value
                continue
            path = placeholders.get(child.value)
            if path is None:
                for key, inner in placeholders.items():
                    if key in child.value:  # '{{_base_.name}}_v2': inside a longer string
                        _refuse_partial_reference(
                            child.value, key, inner, filename, line=child.lineno
                        )
                continue
            whole = isinstance(parent, _WHOLE_VALUE_PARENTS) and not (
                isinstance(parent, ast.Dict) and child in parent.keys
            )
            if not whole:
                reference = f"{{{{{BASE_KEY}.{path}}}}}"
                raise ConfigError(
                    f"{filename}:{child.lineno}: {reference} is used inside an expression; "
                    f"such a reference must be a whole value, e.g. x = {reference}. To compute "
                    f"with a base value, use the variable: {BASE_KEY}.{path} "
                    f"(e.g. {BASE_KEY}.{path} * 2, or an f-string)."
                )


def _lookup_base(path: str, base: dict[str, Any], filename: str) -> Any:
    value: Any = base
    walked = [BASE_KEY]
    for part in path.split("."):
        try:
            if isinstance(value, (list, tuple)) and part.isdigit():
                value = value[int(part)]
            else:
                value = dict.__getitem__(value, part) if isinstance(value, dict) else value[part]
        except (KeyError, IndexError, TypeError):
            from ..errors import did_you_mean

            hint = did_you_mean(part, value.keys()) if isinstance(value, dict) else ""
            raise ConfigKeyError(
                f"{filename}: {{{{{BASE_KEY}.{path}}}}} refers to {'.'.join(walked)}.{part}, "
                f"which the base configs do not define.{hint}"
            ) from None
        walked.append(part)
    return value


def substitute_base_references(
    value: Any, placeholders: dict[str, str], base: dict[str, Any], filename: str, where: str = ""
) -> Any:
    """Replace placeholder strings left by :func:`pre_substitute_base_references`.

    Like MMEngine, every container is copied on the way (even when nothing is
    replaced), so values shared between keys or with the bases stop being
    shared: a later ``_delete_`` on one of them cannot affect the other.
    ``where``: the key path of ``value``, named in errors.
    """
    if isinstance(value, str):
        if value in placeholders:
            return copy.deepcopy(_lookup_base(placeholders[value], base, filename))
        for key, path in placeholders.items():
            if key in value:
                _refuse_partial_reference(value, key, path, filename, where)
        return value
    if isinstance(value, dict):
        result = copy.copy(value)
        for key, item in dict.items(value):
            inner = f"{where}.{key}" if where else str(key)
            dict.__setitem__(
                result, key, substitute_base_references(item, placeholders, base, filename, inner)
            )
        return result
    if isinstance(value, (list, tuple)):
        items = [
            substitute_base_references(v, placeholders, base, filename, f"{where}.{i}")
            for i, v in enumerate(value)
        ]
        return tuple(items) if isinstance(value, tuple) else items
    return value


def _refuse_partial_reference(
    value: str, key: str, path: str, filename: str, where: str = "", line: int | None = None
) -> None:
    """``'{{_base_.name}}_v2'``: an error, not a garbled string.

    The reference is replaced by a placeholder string before the file runs, so
    a longer string around it holds that placeholder; in MMEngine the value
    silently becomes a string such as ``'_name_1a2b3c_v2'``. ``where`` is the
    key path, ``line`` the line in a .py config.
    """
    reference = f"{{{{{BASE_KEY}.{path}}}}}"
    variable = f"{BASE_KEY}.{path}"
    text = value.replace(f'"{key}"', key)
    before, _, after = text.partition(key)
    if key in after:  # the same reference twice: no one-line rewrite to offer
        fix = f"an f-string using the variable {variable}"
    else:
        f_string = "f" + repr(f"{_brace_escape(before)}{{{variable}}}{_brace_escape(after)}")
        parts = ([repr(before)] if before else []) + [variable] + ([repr(after)] if after else [])
        fix = f"{f_string}, or {' + '.join(parts)} for a string value"
    location = f"{filename}:{line}" if line is not None else filename
    key_text = f" (key {where})" if where else ""
    shown = text.replace(key, reference)
    raise ConfigError(
        f"{location}{key_text}: {reference} is used inside a longer string ({shown!r}); "
        f"such a reference must be a whole value, e.g. x = {reference}. "
        + (
            f"To build a string from a base value, use the variable: {fix}."
            if filename.endswith(".py")
            else "JSON and YAML cannot compute with base values: write the whole value, "
            f"or write this config in Python and build it from the variable: {fix}."
        )
    )
