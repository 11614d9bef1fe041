"""Which validation score is the best one, and the end-of-training line that reports it.

MMEngine's rule inference (substrings of the metric name) and the
``best_{key}_{epoch|iter}_{N}.pth`` names the checkpoint hook gives best files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

__all__ = ["DEFAULT_GREATER_KEYS", "DEFAULT_LESS_KEYS", "best_summary", "infer_rule"]

#: Substrings of metric names whose larger values are better / worse (MMEngine's lists).
DEFAULT_GREATER_KEYS = (
    "acc",
    "top",
    "AR@",
    "auc",
    "precision",
    "mAP",
    "mDice",
    "mIoU",
    "mAcc",
    "aAcc",
)
DEFAULT_LESS_KEYS = ("loss",)


def infer_rule(key: str, greater_keys: Sequence[str], less_keys: Sequence[str]) -> str | None:
    """'greater' / 'less' for a metric name, as MMEngine infers it; None if unknown."""
    low = key.lower()
    greater = [k.lower() for k in greater_keys]
    less = [k.lower() for k in less_keys]
    if low in greater:
        return "greater"
    if low in less:
        return "less"
    if any(k in low for k in greater):
        return "greater"
    if any(k in low for k in less):
        return "less"
    return None


def best_summary(
    key: str,
    score: float,
    path: str | None,
    work_dir: Path,
    at: tuple[str, int] | None = None,
) -> str:
    """The end-of-training line: the best score, when it was reached, and its checkpoint.

    When is ``at`` (``("epoch" | "iter", N)``, kept in the hook's state so it
    holds after a resume, whatever ``filename_tmpl`` names the file); without
    it (MMEngine's record) it is read back from the default
    ``best_{key}_{epoch|iter}_{N}.pth`` name.
    """
    line = f"Best {key}: {score:.4f}"
    if not path:
        return line
    if at is None:
        reached = re.search(r"_(epoch|iter)_(\d+)\.pth$", path)
        at = (reached.group(1), int(reached.group(2))) if reached else None
    if at is not None:
        line += f" at {'epoch' if at[0] == 'epoch' else 'iteration'} {at[1]}"
    try:
        shown = Path(path).relative_to(Path(work_dir).absolute()).as_posix()
    except ValueError:
        shown = path
    return f"{line}; checkpoint: {shown}"
