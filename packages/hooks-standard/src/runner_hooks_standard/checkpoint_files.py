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

from runner_core.contract import RunnerAPI
from runner_core.errors import HookError

__all__ = ["publish", "remove_checkpoint"]


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
