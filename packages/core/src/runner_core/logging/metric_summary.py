"""Shorten a validation line: large groups of metrics become one summary.

A loop that reports one value per class (``per_class/acc_0`` ... ``acc_9``)
would make the validation line hundreds of characters long, repeating what
the loop may already print as a table. Every value still goes to the scalars
file and the vis backends; only the text line is shortened.
"""

from __future__ import annotations

from collections.abc import Mapping

#: a ``group/`` prefix with more keys than this is summarised on the log line
MAX_GROUP_ENTRIES = 8


def summarise_groups(
    values: Mapping[str, float], max_entries: int = MAX_GROUP_ENTRIES
) -> dict[str, float | str]:
    """``values`` with each ``group/...`` of more than ``max_entries`` keys folded into one.

    The folded entry is keyed ``group/*`` and reads ``N values, min X (key), mean Y``.
    Order is kept: the summary takes the place of the group's first key.
    """
    groups: dict[str, list[str]] = {}
    for key in values:
        if "/" in key:
            groups.setdefault(key.rsplit("/", 1)[0], []).append(key)
    folded = {g: keys for g, keys in groups.items() if len(keys) > max_entries}
    out: dict[str, float | str] = {}
    for key, value in values.items():
        group = key.rsplit("/", 1)[0] if "/" in key else None
        if group not in folded:
            out[key] = value
            continue
        if f"{group}/*" in out:
            continue
        keys = folded[group]
        lowest = min(keys, key=lambda k: values[k])
        mean = sum(values[k] for k in keys) / len(keys)
        out[f"{group}/*"] = (
            f"{len(keys)} values, min {values[lowest]:.4g} ({lowest.rsplit('/', 1)[1]}), "
            f"mean {mean:.4g}"
        )
    return out
