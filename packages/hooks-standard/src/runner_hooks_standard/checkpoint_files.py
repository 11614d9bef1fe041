"""The names of the checkpoint hook's files, deleting the ones it replaces, publishing.

Deleting is limited to files the hook could have written itself: regular
files in this run's own folders (a copied work dir must never delete the
original's files) whose names its ``filename_tmpl`` makes (:func:`is_own_name`),
since the names to delete also come from a resumed checkpoint, which may have
been passed from elsewhere. On a storage backend (``out_dir='s3://...'``) the
same holds below the run's remote folder, and files go through the backend's
``remove`` (:func:`remove_remote_checkpoint`). Publishing writes a key-filtered
copy named by its content hash, as MMEngine's ``published_keys`` does.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from runner_core.contract import RunnerAPI

if TYPE_CHECKING:
    from runner_core.checkpoint import RemotePath
    from runner_core.runner.work_dir_lock import WorkDirHold

__all__ = [
    "DEFAULT_TEMPLATES",
    "best_name",
    "is_own_name",
    "lock_out_dir",
    "publish",
    "remove_checkpoint",
    "remove_remote_checkpoint",
    "step_of",
]

#: the periodic checkpoints' names without ``filename_tmpl`` (by epoch, by iteration)
DEFAULT_TEMPLATES = ("epoch_{}.pth", "iter_{}.pth")


def best_name(key: str, filename: str) -> str:
    """MMEngine's best-checkpoint name: ``best_<key>_<periodic name>``, every ``/`` made ``_``.

    So it is one file beside the periodic ones, also for a key like
    ``'accuracy/top1'`` or ``filename_tmpl='ckpts/epoch_{}.pth'``.
    """
    return f"best_{key}_{filename}".replace("/", "_")


def _numbers(text: str) -> set[int]:
    """Every number written in ``text`` (each run of digits and its parts, up to 20 digits)."""
    found: set[int] = set()
    for run in re.finditer(r"\d+", text):
        digits = run.group()
        for start in range(len(digits)):
            for end in range(start + 1, min(len(digits), start + 20) + 1):
                found.add(int(digits[start:end]))
    return found


def _made_names(name: str, templates: Iterable[str]) -> Iterator[tuple[str, int, str]]:
    """``(template, n, template.format(n))`` for each number ``n`` written in ``name``:
    the names the hook could have given that may be ``name`` (or its best copy's)."""
    if len(name) > 4096:
        return
    templates = tuple(templates)
    for number in sorted(_numbers(name)):
        for template in templates:
            try:
                made = template.format(number)
            except (IndexError, KeyError, ValueError, AttributeError, TypeError):
                continue
            yield template, number, made


def is_own_name(name: str, templates: Iterable[str], best_key: str | None = None) -> bool:
    """Whether the hook names a checkpoint ``name`` (relative to its folder) with ``templates``.

    A periodic name is ``template.format(n)`` for some integer ``n``; with
    ``best_key``, the best checkpoint's name built from such a name.
    """
    wanted = PurePosixPath(name)
    for _, _, made in _made_names(name, templates):
        if best_key is None and PurePosixPath(made) == wanted:
            return True
        if best_key is not None and best_name(best_key, made) == name:
            return True
    return False


def saved_at(name: str, templates: Iterable[str]) -> tuple[str, int] | None:
    """``(template, n)`` of a file the hook names ``template.format(n)``, periodic or best
    (``best_<key>_<that name>``), in its folder; None for any other file."""
    for template, number, made in _made_names(name, templates):
        flat = made.replace("/", "_")
        if name == made or (name.startswith("best_") and name.endswith(f"_{flat}")):
            return template, number
    return None


def step_of(path: str, template: str) -> int | None:
    """The number ``n`` whose ``template.format(n)`` ends ``path`` (the id MMEngine's
    ``keep_ckpt_ids`` holds for that checkpoint), or None for a name it does not make."""
    depth = len(PurePosixPath(template).parts)
    tail = "/".join(path.replace("\\", "/").split("/")[-depth:])
    if len(tail) > 4096:
        return None
    for number in sorted(_numbers(tail)):
        try:
            made = template.format(number)
        except (IndexError, KeyError, ValueError, AttributeError, TypeError):
            return None
        if PurePosixPath(made) == PurePosixPath(tail):
            return number
    return None


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
        held_elsewhere,
        read_lock,
    )

    if hold is None or hold.folder != out_dir:
        if hold is not None:
            hold.release()
        hold = WorkDirHold(out_dir, owner=owner)
    try:
        hold.acquire()
    except WorkDirBusyError:
        other = held_elsewhere(out_dir) or read_lock(out_dir) or {}
        if "unreadable" in other:
            raise  # its message names the file, why it cannot be read and its owner
        raise WorkDirBusyError(
            f"CheckpointHook saves into {str(out_dir)!r} (out_dir/<name of the work dir>), "
            f"which another run is using (pid {other.get('pid', '?')} on host "
            f"{other.get('host', '?')!r}, started {other.get('started', '?')}): runs whose "
            f"work dirs share the name {work_dir.name!r} would overwrite each other's "
            "checkpoints there. Give this run's work dir another name, or CheckpointHook "
            f"another out_dir; if that run is gone, delete {str(out_dir / LOCK_NAME)!r}."
        ) from None
    return hold


def publish(
    runner: RunnerAPI, path: Path | RemotePath, keys: Sequence[str], fsync: bool
) -> Path | RemotePath:
    """Write ``<stem>-<sha256[:8]>.pth`` next to ``path``, holding only ``keys`` (through the
    storage backend for a :class:`~runner_core.checkpoint.RemotePath`)."""
    import torch

    from runner_core.checkpoint import RemotePath, load_checkpoint, write_bytes_atomic

    ckpt = load_checkpoint(path)
    missing = [k for k in keys if k not in ckpt]
    keys = [k for k in keys if k in ckpt]
    if missing:  # as MMEngine: publish the keys the file has (training is over; never fail here)
        runner.logger.warning(
            "CheckpointHook(published_keys=%r): %s has no %r; publishing the others.",
            [*keys, *missing],
            path.name,
            missing,
        )
    buffer = io.BytesIO()
    torch.save({k: ckpt[k] for k in keys}, buffer)
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()[:8]
    published = f"{PurePosixPath(path.name).stem}-{digest}.pth"
    target: Path | RemotePath
    if isinstance(path, RemotePath):
        from runner_core.checkpoint.storage import put

        target = RemotePath(str(path)[: -len(path.name)] + published, path.backend)
        put(data, target)
    else:
        target = path.with_name(published)
        write_bytes_atomic(data, target, fsync=fsync)
    runner.logger.info("Published %s (keys %s)", target.name, ", ".join(keys))
    return target


def remove_remote_checkpoint(target: RemotePath, runner: RunnerAPI, out_dir: RemotePath) -> bool:
    """Delete an old checkpoint of this run through its storage backend; one outside the
    run's remote folder ``out_dir`` is never touched. True when it was deleted."""
    from runner_core.checkpoint.storage import remove

    if out_dir.relative_name(target) is None:
        runner.logger.warning(
            "Not deleting %s: it is outside this run's folder %s, so it belongs to another run.",
            target,
            out_dir,
        )
        return False
    try:
        return remove(target)
    except Exception as exc:  # noqa: BLE001 - an old file that cannot go is no reason to stop
        runner.logger.warning(
            "Could not delete old checkpoint %s through storage backend %s: %s: %s",
            target,
            target.backend_name,
            type(exc).__name__,
            exc,
        )
        return False


def remove_checkpoint(path: Path, runner: RunnerAPI, folders: Sequence[Path] = ()) -> bool:
    """Delete an old checkpoint of this run; a file outside the run's folders is never touched,
    nor a symlink or a folder (the hook writes regular files only). True when it was deleted."""
    from runner_core.checkpoint.paths import may_delete

    if not may_delete(path, folders or [Path(runner.work_dir)]):
        if path.is_symlink():  # the link is inside, its target is not (a moved backup)
            runner.logger.warning(
                "Not deleting %s: it is a link to %s, which is outside this run's work dir, so "
                "it is not a checkpoint this run wrote.",
                path,
                os.readlink(path),
            )
            return False
        runner.logger.warning(
            "Not deleting %s: it is outside this run's work dir, so it belongs to another run.",
            path,
        )
        return False
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            runner.logger.warning(
                "Not deleting %s: it is a symlink or a folder, not a checkpoint this run wrote.",
                path,
            )
            return False
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:  # an old file that cannot go is no reason to stop training
        runner.logger.warning("Could not delete old checkpoint %s: %s", path, exc)
        return False
    return True
