"""Shorten a validation line: large families of per-class metrics become one summary.

A loop that reports one value per class (``per_class/acc_0`` ... ``acc_9``,
or mmdet's classwise ``coco/person_precision`` ...) would make the validation
line hundreds of characters long, repeating what the loop may already print
as a table. Such keys share a group (``per_class/``) and differ in a class
index or a class name: a family of them is folded into one summary. Metric
sets that merely share a group or a first word stay on the line, headline
metrics included (``coco/bbox_mAP`` beside 80 classwise values, LVIS's 9
``lvis/bbox_AP*``, mmpose's 10 ``coco/AP ...``). Every value still goes to the
scalars file and the vis backends; only the text line is shortened.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

#: a family of keys numbered by class index (``acc_0`` ...) larger than this is folded
MAX_GROUP_ENTRIES = 8
#: a family of keys named by class (``person_precision`` ..., ``cat``) larger than this is
#: folded: metric sets stay below it (LVIS: 9 per task, VOC: 11 thresholds)
MAX_NAMED_ENTRIES = 20

_WORD_BREAK = re.compile(r"[_\-.]")  # not spaces: 'traffic light' is one class name


#: the rank of a family numbered by class index; the others are named by class
_NUMBERED = 0


def _families(leaf: str) -> Iterator[tuple[int, str]]:
    """``(rank, family)`` for one key's last part, the first rank chosen first:
    ``acc_3`` is of ``acc_*`` (a class index); ``person_precision`` of ``*_precision``;
    ``cat`` of ``*``; ``acc_cat`` of ``acc_*`` (a class name after a shared word)."""
    breaks = list(_WORD_BREAK.finditer(leaf))
    if not breaks:
        yield 2, "*"
        return
    first, last = breaks[0], breaks[-1]
    prefix = leaf[: first.end()] + "*"
    if leaf[first.end() :].isdigit():
        yield _NUMBERED, prefix
    yield 1, "*" + leaf[last.start() :]
    yield 3, prefix


def summarise_groups(
    values: Mapping[str, float], max_entries: int = MAX_GROUP_ENTRIES
) -> dict[str, float | str]:
    """``values`` with each family of per-class keys folded into one entry.

    A family is the keys of one ``group/`` whose last parts share their first
    word and differ in a class index (``acc_0``, ``acc_1``: ``group/acc_*``,
    more than ``max_entries``), or, more than ``MAX_NAMED_ENTRIES`` of them,
    share their last word (``person_precision``: ``group/*_precision``), are
    one word each (``cat``: ``group/*``) or share their first word. The folded
    entry reads ``N values, min X (key), mean Y`` and takes the place of the
    family's first key.
    """
    members: dict[tuple[int, str], list[str]] = {}
    for key in values:
        group, slash, leaf = key.rpartition("/")
        if slash:
            for rank, family in _families(leaf):
                members.setdefault((rank, f"{group}/{family}"), []).append(key)
    chosen: dict[str, str] = {}  # key -> the family it is folded into
    for (rank, family), keys in sorted(members.items(), key=lambda item: item[0][0]):
        free = [k for k in keys if k not in chosen]
        if len(free) > (max_entries if rank == _NUMBERED else MAX_NAMED_ENTRIES):
            chosen.update(dict.fromkeys(free, family))
    folded: dict[str, list[str]] = {}
    for key, family in chosen.items():
        folded.setdefault(family, []).append(key)
    out: dict[str, float | str] = {}
    for key, value in values.items():
        into = chosen.get(key)
        if into is None:
            out[key] = value
            continue
        if into in out:
            continue
        keys = folded[into]
        lowest = min(keys, key=lambda k: values[k])
        mean = sum(values[k] for k in keys) / len(keys)
        out[into] = (
            f"{len(keys)} values, min {values[lowest]:.4g} ({lowest.rsplit('/', 1)[1]}), "
            f"mean {mean:.4g}"
        )
    return out
