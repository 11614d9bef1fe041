"""Files the checkpoint hook writes besides checkpoints, and deleting the ones it replaces.

Deleting is limited to this run's own folders (a copied work dir must never
delete the original's files); publishing writes a key-filtered copy named by
its content hash, as MMEngine's ``published_keys`` does.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from runner_core.contract import RunnerAPI
from runner_core.errors import HookError

if TYPE_CHECKING:
    from runner_core.runner.work_dir_lock import WorkDirHold

__all__ = ["lock_out_dir", "publish", "remove_checkpoint"]


def lock_out_dir(
    out_dir: Path, work_dir: Path, owner: object, hold: WorkDirHold | None = None
) -> WorkDirHold:
    """Take ``out_dir``'s run lock, as the work dir's is taken, before writing there.

    ``out_dir/<name of the work dir>`` is shared by every run whose work dir
    has that name: without the lock two of them would overwrite each other's
    checkpoints, and one's start-up cleanup would delete the other's save in
    progress. Held as the work dir's is: until the run call (``train()``,
    ``val()``, ``test()``) ends, or ``owner`` is garbage-collected. Returns
    the hold; pass it back as ``hold`` at the next call. Raises
    ``WorkDirBusyError`` (a ``ConfigError``) naming the other run.
    """
    from runner_core.runner.work_dir_lock import (
        LOCK_NAME,
        WorkDirBusyError,
        WorkDirHold,
        read_lock,
    )

    if hold is None or hold.folder != out_dir:
        if hold is not None:
            hold.release()
        hold = WorkDirHold(out_dir, owner=owner)
    try:
        hold.acquire()
    except WorkDirBusyError:
        other = read_lock(out_dir) or {}
        raise WorkDirBusyError(
            f"CheckpointHook saves into {str(out_dir)!r} (out_dir/<name of the work dir>), "
            f"which another run is using (pid {other.get('pid', '?')} on host "
            f"{other.get('host', '?')!r}, started {other.get('started', '?')}): runs whose "
            f"work dirs share the name {work_dir.name!r} would overwrite each other's "
            "checkpoints there. Give this run's work dir another name, or CheckpointHook "
            f"another out_dir; if that run is gone, delete {str(out_dir / LOCK_NAME)!r}."
        ) from None
    return hold


def publish(runner: RunnerAPI, path: Path, keys: Sequence[str], fsync: bool) -> Path:
    """Write ``<stem>-<sha256[:8]>.pth`` next to ``path``, holding only ``keys``."""
    import torch

    from runner_core.checkpoint import load_checkpoint, write_bytes_atomic

    ckpt = load_checkpoint(path)
    missing = [k for k in keys if k not in ckpt]
    if missing:
        raise HookError(
            f"CheckpointHook(published_keys={list(keys)!r}): {path} has no "
            f"{missing!r}. Its keys are {sorted(ckpt)}."
        )
    buffer = io.BytesIO()
    torch.save({k: ckpt[k] for k in keys}, buffer)
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()[:8]
    target = path.with_name(f"{path.stem}-{digest}.pth")
    write_bytes_atomic(data, target, fsync=fsync)
    runner.logger.info("Published %s (keys %s)", target.name, ", ".join(keys))
    return target


def remove_checkpoint(path: Path, runner: RunnerAPI, folders: Sequence[Path] = ()) -> None:
    """Delete an old checkpoint of this run; a file outside the run's folders is never touched."""
    from runner_core.checkpoint.paths import may_delete

    if not may_delete(path, folders or [Path(runner.work_dir)]):
        runner.logger.warning(
            "Not deleting %s: it is outside this run's work dir, so it belongs to another run.",
            path,
        )
        return
    try:
        path.unlink()
    except FileNotFoundError:
        return
    except OSError as exc:  # an old file that cannot go is no reason to stop training
        runner.logger.warning("Could not delete old checkpoint %s: %s", path, exc)
