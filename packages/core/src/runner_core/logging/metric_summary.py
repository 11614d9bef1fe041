"""Shorten a validation line: large families of per-class metrics become one summary.

A loop that reports one value per class (``per_class/acc_0`` ... ``acc_9``,
or mmdet's classwise ``coco/person_precision`` ...) would make the validation
line hundreds of characters long, repeating what the loop may already print
as a table. Such keys share a group (``per_class/``) and a first or last word
of their name (``acc_``, ``_precision``): a family larger than
``MAX_GROUP_ENTRIES`` is folded into one summary. Headline metrics stay on the
line even beside a folded family (``coco/bbox_mAP`` next to 80 classwise
values), and so do metric sets that merely share a prefix (``coco/`` with its
12 bbox and segm values, mmpose's 10 ``coco/AP ...`` values). Every value
still goes to the scalars file and the vis backends; only the text line is
shortened.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: a family of keys (one group, one shared first or last word) larger than this is folded
MAX_GROUP_ENTRIES = 8

_WORD_BREAK = re.compile(r"[_\-. ]")


def _families(leaf: str) -> tuple[str, ...]:
    """The family names of one key's last part: ``acc_3`` -> ``acc_*`` and ``*_3``; a
    one-word part (a class name, ``cat``) is of the group's one-word family, ``*``."""
    breaks = list(_WORD_BREAK.finditer(leaf))
    if not breaks:
        return ("*",)
    first, last = breaks[0], breaks[-1]
    return (leaf[: first.end()] + "*", "*" + leaf[last.start() :])


def summarise_groups(
    values: Mapping[str, float], max_entries: int = MAX_GROUP_ENTRIES
) -> dict[str, float | str]:
    """``values`` with each family of more than ``max_entries`` keys folded into one.

    A family is the keys of one ``group/`` whose last parts share their first
    word (``acc_0``, ``acc_1``: ``group/acc_*``) or their last word
    (``person_precision``, ``car_precision``: ``group/*_precision``), or are
    one word each (``cat``, ``dog``: ``group/*``); a key joins its larger family. The folded entry reads ``N values, min X (key),
    mean Y`` and takes the place of the family's first key.
    """
    members: dict[str, list[str]] = {}
    for key in values:
        group, slash, leaf = key.rpartition("/")
        if slash:
            for family in _families(leaf):
                members.setdefault(f"{group}/{family}", []).append(key)
    chosen: dict[str, str] = {}  # key -> its folded family
    for family, keys in sorted(members.items(), key=lambda item: -len(item[1])):
        if len(keys) <= max_entries:
            break
        keys = [k for k in keys if k not in chosen]
        if len(keys) > max_entries:
            chosen.update(dict.fromkeys(keys, family))
    folded: dict[str, list[str]] = {}
    for key, family in chosen.items():
        folded.setdefault(family, []).append(key)
    out: dict[str, float | str] = {}
    for key, value in values.items():
        family = chosen.get(key)
        if family is None:
            out[key] = value
            continue
        if family in out:
            continue
        keys = folded[family]
        lowest = min(keys, key=lambda k: values[k])
        mean = sum(values[k] for k in keys) / len(keys)
        out[family] = (
            f"{len(keys)} values, min {values[lowest]:.4g} ({lowest.rsplit('/', 1)[1]}), "
            f"mean {mean:.4g}"
        )
    return out
