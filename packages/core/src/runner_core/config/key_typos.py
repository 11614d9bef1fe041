"""Misspelled top-level keys in any file of a config's ``_base_`` chain.

A child config that writes ``optim_wraper=dict(...)`` over a base that
defines ``optim_wrapper`` trains silently with the base's settings: the
merged config has the right key, so a check of the merged keys alone cannot
see the typo. Each file's own top-level assignments are therefore checked:
a key one edit (insertion, deletion, substitution or swap of neighbours)
away from a key the runner reads is an error naming the file, the key and the
key it was probably meant to be. This module is the one home of the top-level
typo rule: the Runner raises the first typo, ``runner-cli config check``
lists them all, with the same words.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CLOSE_MATCH_CUTOFF",
    "KeyTypo",
    "chain_files",
    "file_top_level_keys",
    "find_top_level_typos",
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


@dataclass(frozen=True)
class KeyTypo:
    """A top-level key read by nothing that looks like a key something reads."""

    where: str  # the file of the _base_ chain that sets it, or the config's name
    key: str
    meant: str
    shadowed: bool  # the config also sets ``meant``: the typo is silently ignored

    def message(self, described: str = "") -> str:
        """One paragraph naming the file, the key and the key it was probably meant to be."""
        also = (
            f" (the merged config also has {self.meant!r}, so {self.key!r} is silently ignored)"
            if self.shadowed
            else ""
        )
        return (
            f"Top-level config key {self.key!r} in {self.where} is read by nothing{also}. Did "
            f"you mean {self.meant!r}? Rename it (or, if it is your own variable, give it a "
            f"name that is not that close to a runner key).{described}"
        )


#: How alike (difflib ratio) a merged-config key must be to a known one to be a typo.
CLOSE_MATCH_CUTOFF = 0.85


def find_top_level_typos(cfg: Any, known: Iterable[str]) -> list[KeyTypo]:
    """Every top-level key of ``cfg`` that is not ``known`` but looks like a known key.

    Each file of the ``_base_`` chain is read for the keys it assigns itself
    (one edit away from a known key is a typo, even when the merged config
    has the right key too); keys no file assigns (``--cfg-options``) are
    checked as well. A merged key that is merely close (difflib ratio at
    least :data:`CLOSE_MATCH_CUTOFF`) to a known key the config lacks is a
    typo too.
    """
    known = tuple(known)
    known_set = set(known)
    merged = cfg if isinstance(cfg, Mapping) or hasattr(cfg, "keys") else {}  # Config too
    own = {path: file_top_level_keys(path, source) for path, source in chain_files(cfg)}
    in_files = {key for keys in own.values() for key in keys}
    name = getattr(cfg, "filename", None) or "the config"
    extra = [str(k) for k in merged if str(k) not in in_files]
    if extra:
        own["the merged config (--cfg-options or code)" if own else name] = extra
    found: list[KeyTypo] = []
    for path, keys in own.items():
        for key in dict.fromkeys(keys):
            if key in known_set or key.startswith("_"):
                continue
            meant = [k for k in known if one_edit_apart(key, k)]
            if meant:
                found.append(KeyTypo(path, key, meant[0], meant[0] in merged))
    reported = {typo.key for typo in found}
    for key in map(str, merged):
        if key in known_set or key in reported or key.startswith("_"):
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=CLOSE_MATCH_CUTOFF)
        if close and close[0] not in merged:
            found.append(KeyTypo(name, key, close[0], False))
    return found
