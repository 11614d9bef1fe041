"""A checkpoint and the validation at the same progress point, for the checkpoint hook.

Validation right after a periodic save may change hook states (best scores,
early-stopping counters); the hook compares them with those saved and writes
the checkpoint again when they differ, and after a resume it runs a
validation the interrupted run did not get to record. A validation that moved
only a parameter scheduler (``ReduceOnPlateauLR`` counts every validation) is
not recorded either: a resume repeats it, and the scheduler takes the same
step, which costs one validation per resume instead of a second write of
every checkpoint. A validation that
changed nothing is not worth a rewrite of the checkpoint; a small file next
to ``last_checkpoint`` (``last_validation``) records it instead, so a resume
does not run it again. The file keeps one entry per checkpoint (the newest
:data:`RECORDS_KEPT`), so a resume from an earlier checkpoint than the newest
skips its validation too; saving a checkpoint drops its entry first, so an
entry never outlives the file it speaks for.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runner_core.contract import RunnerAPI

__all__ = [
    "VALIDATION_RECORD",
    "RECORDS_KEPT",
    "by_epoch_loop",
    "forget_validation",
    "hook_states",
    "record_validation",
    "same_state",
    "scheduler_states",
    "validation_due",
    "validation_recorded",
]

#: in the work dir: which checkpoint's validation finished, at which progress
VALIDATION_RECORD = "last_validation"

#: how many checkpoints' validations the record remembers (the newest; a resume from an
#: older one validates it again)
RECORDS_KEPT = 64


#: the checkpoint hook's own bookkeeping that changes without a validation changing anything:
#: its "validated" mark, the files it was about to delete when it saved ("dropping"), and
#: whether another saved the file ("kept_when_resumed")
_OWN_TRANSIENT = frozenset(("validated", "dropping", "kept_when_resumed"))


def hook_states(runner: RunnerAPI, own: Any = None) -> list[Any]:
    """Every hook's state; ``own``'s without its transient bookkeeping (no re-save for it)."""
    states = []
    for hook in runner.hooks:
        state = hook.state_dict()
        if hook is own and not _OWN_TRANSIENT.isdisjoint(state):
            state = {k: v for k, v in state.items() if k not in _OWN_TRANSIENT}
        states.append(state)
    return states


def scheduler_states(runner: RunnerAPI) -> list[Any]:
    """Every parameter scheduler's state (a dict of lists for several optimizers: flattened)."""
    schedulers = getattr(runner, "param_schedulers", None) or []
    if isinstance(schedulers, Mapping):
        if "type" in schedulers:  # one config: a Runner that has not trained (not built yet)
            return []
        groups = schedulers.values()
        schedulers = [s for g in groups for s in (g if isinstance(g, (list, tuple)) else [g])]
    elif not isinstance(schedulers, (list, tuple)):
        schedulers = [schedulers]
    return [
        s.state_dict()
        for s in schedulers
        if not isinstance(s, Mapping) and callable(getattr(s, "state_dict", None))
    ]


def same_state(a: Any, b: Any) -> bool:
    """Deep equality for plain data with tensors; NaN equals NaN (a state that holds one
    has not changed)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(same_state(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_state(x, y) for x, y in zip(a, b))
    if hasattr(a, "shape") and hasattr(a, "dtype"):
        try:
            return _same_array(a, b)
        except Exception:  # numpy, sparse, another device: counted as changed (one save more)
            return False
    if isinstance(a, float) and a != a:
        return b != b
    return bool(a == b)


def _same_array(a: Any, b: Any) -> bool:
    """Equal shape, dtype and values, NaN where NaN is (a numpy array or a tensor)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    import torch

    if not isinstance(a, torch.Tensor):
        import numpy as np

        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if torch.equal(a, b):
        return True
    if not a.is_floating_point():
        return False
    nan = a.isnan()
    return bool(torch.equal(nan, b.isnan())) and bool(torch.equal(a[~nan], b[~nan]))


def by_epoch_loop(runner: Any) -> bool:
    return getattr(runner.train_loop, "by_epoch", True) is not False


def validation_due(runner: Any, progress: tuple[int, int]) -> bool:
    """Whether the train loop validates at ``progress`` (epoch, iter) right after saving there.

    A loop may answer itself with ``validates_at(n)``; otherwise the standard
    loops' public schedule (``val_begin``, ``val_interval``, the last epoch or
    iteration) is used.
    """
    loop = runner.train_loop
    position = loop.state_dict() if hasattr(loop, "state_dict") else {}
    by_epoch = by_epoch_loop(runner)
    if by_epoch and int(position.get("batch_in_epoch", 0)) != 0:
        return False  # mid-epoch: the loop validates later by itself
    n = progress[0] if by_epoch else progress[1]
    asks = getattr(loop, "validates_at", None)
    if callable(asks):
        return bool(asks(n))
    last = runner.max_epochs if by_epoch else runner.max_iters
    begin = int(getattr(loop, "val_begin", 1) or 1)
    interval = int(getattr(loop, "val_interval", 1) or 1)
    return n >= begin and (n % interval == 0 or n == last)


def _records(work_dir: Path) -> list[dict]:
    """The record's entries, oldest first: [] for a missing or unreadable file.

    A file of one entry (written before entries were kept per checkpoint) is read as one.
    """
    try:
        data = json.loads((work_dir / VALIDATION_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    entries = data.get("records") if isinstance(data, dict) and "records" in data else [data]
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _write_records(work_dir: Path, entries: list[dict], fsync: bool) -> None:
    from runner_core.checkpoint import write_bytes_atomic

    text = json.dumps({"records": entries[-RECORDS_KEPT:]})
    write_bytes_atomic(text.encode("utf-8"), work_dir / VALIDATION_RECORD, fsync=fsync)


def record_validation(
    work_dir: Path,
    checkpoint: str,
    progress: tuple[int, int],
    fsync: bool,
    scalars: Mapping[str, float] | None = None,
) -> None:
    """Note that the validation right after saving ``checkpoint`` (at ``progress``) finished,
    with the scalars it published to the message hub (put back by a resume that skips it)."""
    name = Path(checkpoint).name
    record: dict[str, Any] = {"checkpoint": name, "progress": list(progress)}
    if scalars:
        record["scalars"] = dict(scalars)
    others = [e for e in _records(work_dir) if e.get("checkpoint") != name]
    _write_records(work_dir, [*others, record], fsync)


def forget_validation(work_dir: Path, checkpoint: str, fsync: bool) -> None:
    """Drop ``checkpoint``'s entry before the file is written again (a resumed run saving
    over an earlier run's file): the entry spoke for the old file's validation."""
    name = Path(checkpoint).name
    entries = _records(work_dir)
    kept = [e for e in entries if e.get("checkpoint") != name]
    if len(kept) != len(entries):
        _write_records(work_dir, kept, fsync)


def validation_recorded(
    work_dir: Path, checkpoint: str | None, progress: tuple[int, int]
) -> dict | None:
    """The entry :func:`record_validation` wrote for this checkpoint's validation (truthy),
    or None (a missing or unreadable record, or none for this checkpoint at ``progress``)."""
    if checkpoint is None:
        return None
    name = Path(checkpoint).name
    for entry in reversed(_records(work_dir)):
        try:
            if entry["checkpoint"] == name and tuple(entry["progress"]) == tuple(progress):
                return entry
        except (KeyError, TypeError):
            continue
    return None
