"""Misspelled top-level keys in any file of a config's ``_base_`` chain.

A child config that writes ``optim_wraper=dict(...)`` over a base that
defines ``optim_wrapper`` trains silently with the base's settings: the
merged config has the right key, so a check of the merged keys alone cannot
see the typo. Each file's own top-level assignments are therefore checked:
a key one edit (insertion, deletion, substitution or swap of neighbours)
away from a key the runner reads is an error naming the file, the key and the
key it was probably meant to be.
"""

from __future__ import annotations

import ast
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..errors import ConfigError

__all__ = [
    "chain_files",
    "check_chain_key_typos",
    "file_top_level_keys",
    "find_chain_key_typos",
    "one_edit_apart",
]

_CONFIG_SUFFIXES = (".py", ".json", ".yaml", ".yml")
_ASSIGNED = re.compile(r"^([A-Za-z_]\w*)\s*(?::[^=]*)?=(?!=)", re.M)
_YAML_KEY = re.compile(r"^['\"]?([A-Za-z_]\w*)['\"]?\s*:", re.M)


def one_edit_apart(a: str, b: str) -> bool:
    """True when ``a`` becomes ``b`` by one insertion, deletion, substitution or swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and (a[diff[1]] == b[diff[0]])
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]


def chain_files(cfg: Any) -> Iterator[tuple[str, str]]:
    """``(path, source)`` of every file of ``cfg``'s ``_base_`` chain (from ``cfg.text``)."""
    text = getattr(cfg, "text", "") or ""
    current: str | None = None
    lines: list[str] = []
    for line in text.split("\n"):
        if os.path.isabs(line) and line.endswith(_CONFIG_SUFFIXES) and os.path.isfile(line):
            if current is not None:
                yield current, "\n".join(lines)
            current, lines = line, []
        else:
            lines.append(line)
    if current is not None:
        yield current, "\n".join(lines)


def file_top_level_keys(path: str, source: str) -> list[str]:
    """The top-level keys one config file assigns itself (not those of its bases)."""
    if path.endswith(".json"):
        try:
            data = json.loads(source)
        except ValueError:
            return []
        return [str(k) for k in data] if isinstance(data, dict) else []
    if path.endswith((".yaml", ".yml")):
        return _YAML_KEY.findall(source)
    try:
        tree = ast.parse(source)
    except SyntaxError:  # {{ placeholders }}: only valid after substitution
        return _ASSIGNED.findall(source)
    keys: list[str] = []
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        for target in targets:
            if isinstance(target, ast.Name):
                keys.append(target.id)
    return keys


def find_chain_key_typos(cfg: Any, known: Iterable[str]) -> list[tuple[str, str, str]]:
    """``(file, key, meant)`` for each top-level key one edit from a ``known`` key.

    Every file of the ``_base_`` chain is read for the keys it assigns itself;
    keys of the merged config that no file assigns (``--cfg-options``) are
    checked as well.
    """
    known = tuple(known)
    known_set = set(known)
    own = {path: file_top_level_keys(path, source) for path, source in chain_files(cfg)}
    in_files = {key for keys in own.values() for key in keys}
    if isinstance(cfg, Mapping):
        extra = [str(k) for k in cfg if str(k) not in in_files]
        if extra:
            where = (
                "the merged config (--cfg-options or code)"
                if own
                else (getattr(cfg, "filename", None) or "the config")
            )
            own[where] = extra
    found = []
    for path, keys in own.items():
        for key in dict.fromkeys(keys):
            if key in known_set or key.startswith("_"):
                continue
            meant = [k for k in known if one_edit_apart(key, k)]
            if meant:
                found.append((path, key, meant[0]))
    return found


def check_chain_key_typos(cfg: Any, known: Iterable[str], described: str = "") -> None:
    """Raise ConfigError for the first key :func:`find_chain_key_typos` reports.

    ``described`` lists what the runner reads, for the message.
    """
    for path, key, meant in find_chain_key_typos(cfg, known):
        also = (
            f" (the merged config also has {meant!r}, so {key!r} is silently ignored)"
            if isinstance(cfg, Mapping) and meant in cfg
            else ""
        )
        raise ConfigError(
            f"Top-level config key {key!r} in {path} is read by nothing{also}. Did you "
            f"mean {meant!r}? Rename it (or, if it is your own variable, give it a name "
            f"that is not one letter away from a runner key).{described}"
        )
