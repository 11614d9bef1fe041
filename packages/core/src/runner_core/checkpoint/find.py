"""Finding the newest complete checkpoint in a work dir, and pruning old ones safely.

The pointer
    ``work_dir/last_checkpoint`` holds the absolute path of the newest
    checkpoint, as MMEngine writes it (MMEngine's ``resume=True`` opens the
    text as a path, so a relative one would only work from inside the work
    dir); a relative path, as older runs wrote, is read relative to
    ``work_dir``. :func:`write_pointer` replaces it atomically and refuses to
    point at a file that does not exist; call it only after
    :func:`~runner_core.checkpoint.atomic.save_checkpoint` returned.

    A checkpoint saved through a storage backend (``CheckpointHook(out_dir=
    's3://bucket/exp')``, see ``storage.py``) is named by its URL, as MMEngine
    writes it; the pointer itself stays local. :func:`read_pointer` gives
    ``None`` for such a pointer (it returns local paths), :func:`read_pointer_location`
    the text.

Finding
    :func:`find_latest_checkpoint` trusts the pointer only if its target
    verifies (CRC check, see ``io.py``). An absolute target outside
    ``work_dir`` (the work dir was copied or moved) is read as the same file
    inside ``work_dir`` when that exists (the longest tail of the target's
    path found there: ``ckpts/epoch_2.pth`` for a ``filename_tmpl`` with a
    subfolder), so a copied work dir stays self-contained; the original is
    not touched. A URL in the pointer is read through the backend registered
    for its prefix and verified (a resume loads the bytes it verified, see
    :func:`_latest_with_bytes`; nothing is kept after the search itself); one
    that is missing, damaged or has no registered backend raises
    :class:`CheckpointError` (a remote folder is not scanned: starting over
    would train on top of it). Otherwise it scans
    ``epoch_N.pth`` / ``iter_N.pth`` in ``work_dir``, highest N first (newest
    modification time breaks ties, and orders files when both kinds are
    present), and returns the first that verifies. ``None`` means there is no
    complete checkpoint.

Pruning (``max_keep_ckpts``)
    The safe order in a checkpoint hook is::

        path = save_checkpoint(ckpt, out_dir / f"epoch_{n}.pth")  # complete on return
        write_pointer(work_dir, path)                              # now points at it
        prune_checkpoints(out_dir, max_keep_ckpts, work_dir=work_dir)

    :func:`prune_checkpoints` deletes the oldest progress checkpoints beyond
    the newest ``max_keep_ckpts`` of each kind, and never the pointer's
    target, so a crash at any point leaves the pointer on a complete file and
    at least one complete checkpoint in the folder. (MMEngine deletes the old
    file before writing the new one; a crash then leaves none.)
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

from runner_core.checkpoint.atomic import write_bytes_atomic
from runner_core.checkpoint.errors import CheckpointError
from runner_core.checkpoint.integrity import (
    _open_zip,
    _sniff,
    verify_checkpoint,
    verify_checkpoint_bytes,
)
from runner_core.checkpoint.paths import is_inside, same_file_in
from runner_core.checkpoint.remote import url_scheme
from runner_core.checkpoint.storage import (
    RemotePath,
    fetch,
    is_remote,
    load_source,
    remote_isfile,
)

__all__ = [
    "POINTER_NAME",
    "find_latest_checkpoint",
    "is_pointer_file",
    "list_checkpoints",
    "pointer_fault",
    "prune_checkpoints",
    "read_pointer",
    "read_pointer_location",
    "write_pointer",
]

POINTER_NAME = "last_checkpoint"
_PROGRESS_NAME = re.compile(r"^(?P<kind>epoch|iter)_(?P<n>\d+)\.pth$")
#: ``save_best``'s files: ``best_{key}_{epoch|iter}_{N}.pth``
_BEST_NAME = re.compile(r"^best_.+_(?P<kind>epoch|iter)_(?P<n>\d+)\.pth$")


def _warn(message: str) -> None:
    """Into the run's log (its file and console, in its format), as the other resume
    messages are; before any run, a console logger."""
    from ..logging.print_log import print_log

    print_log(message, "current", logging.WARNING)


def write_pointer(work_dir: str | Path, checkpoint_path: str | Path, *, fsync: bool = True) -> Path:
    """Atomically make ``work_dir/last_checkpoint`` name ``checkpoint_path``; return the pointer.

    ``checkpoint_path`` may be a URL a registered storage backend serves (what
    ``save_checkpoint`` returned for one), written as it stands.
    """
    pointer = Path(work_dir) / POINTER_NAME
    if is_remote(checkpoint_path):
        text = _remote_pointer_text(pointer, checkpoint_path)
    else:
        checkpoint_path = Path(checkpoint_path)
        if not checkpoint_path.is_file():
            raise CheckpointError(
                f"write_pointer refuses to point {str(pointer)!r} at "
                f"{str(checkpoint_path)!r}: that file does not exist. Call it after "
                "save_checkpoint has returned."
            )
        text = os.path.abspath(checkpoint_path)  # MMEngine's resume opens it as it stands
    data = _pointer_bytes(text)
    if data is None:  # read_pointer would not find it again: a resume would start over
        raise CheckpointError(
            f"write_pointer refuses to point {str(pointer)!r} at {text!r}: the path has a "
            "line break, a control character, surrounding spaces or bytes that are not UTF-8, "
            "so the pointer could not be read back and resume=True would start over. Save "
            "checkpoints under a plain path (check the work dir, CheckpointHook's "
            "filename_tmpl and out_dir)."
        )
    return write_bytes_atomic(data, pointer, fsync=fsync)


def _remote_pointer_text(pointer: Path, location: str | Path) -> str:
    """The pointer's text for a checkpoint on a storage backend: its URL, which must exist."""
    if not isinstance(location, RemotePath):  # a URL given by hand: check it is there
        target = load_source(location, f"write_pointer({str(pointer)!r}):")
        if remote_isfile(target) is False:
            raise CheckpointError(
                f"write_pointer refuses to point {str(pointer)!r} at {str(location)!r}: "
                f"storage backend {target.backend_name} does not hold it. Call it after "
                "save_checkpoint has returned."
            )
        return str(target)
    fault = pointer_fault(pointer, location)
    if fault is not None:
        raise CheckpointError(fault)
    return str(location)


def pointer_fault(pointer: Path, location: RemotePath) -> str | None:
    """Why ``pointer`` cannot name ``location``, saved through a storage backend, or None.

    A plain path saved through a backend named in ``backend_args`` would be
    read from the local disk by a resume. ``Runner.save_checkpoint`` asks
    before it uploads, :func:`write_pointer` after.
    """
    if url_scheme(location) is not None:
        return None
    return (
        f"write_pointer refuses to point {str(pointer)!r} at {str(location)!r}, saved "
        f"through storage backend {location.backend_name}: a resume would read that path "
        "from the local disk. Save it under a URL of the backend's prefix "
        "(out_dir='<prefix>://...'), or to the local disk."
    )


def _pointer_bytes(text: str) -> bytes | None:
    """``text`` as the pointer file's bytes, or None when :func:`read_pointer` would misread it."""
    if not text or text != text.strip() or any(ord(c) < 32 or ord(c) == 127 for c in text):
        return None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a file name of undecodable bytes (surrogate escapes)
        return None


def is_pointer_file(path: str | Path, head: bytes) -> bool:
    """Whether ``path``, starting with ``head`` (its first bytes, 4 or more), is a work
    dir's pointer: named so, and not a checkpoint (a zip) someone named so."""
    return Path(path).name == POINTER_NAME and not head.startswith(b"PK\x03\x04")


def read_pointer(work_dir: str | Path) -> Path | None:
    """The path ``work_dir/last_checkpoint`` names, or None if it is missing, empty or unreadable,
    or names a URL (a checkpoint on a storage backend: see :func:`read_pointer_location`).

    A relative path in the pointer (older runs wrote those) is taken relative
    to ``work_dir``. The target is not checked, nor mapped into a copied work
    dir; :func:`find_latest_checkpoint` does that.
    """
    return _local_target(work_dir, _pointer_text(work_dir))


def read_pointer_location(work_dir: str | Path) -> str | None:
    """What ``work_dir/last_checkpoint`` names, as text: a URL as it stands (a checkpoint on a
    storage backend), else the path :func:`read_pointer` gives; None as there."""
    text = _pointer_text(work_dir)
    if text is not None and url_scheme(text) is not None:
        return text
    local = _local_target(work_dir, text)
    return None if local is None else str(local)


def _local_target(work_dir: str | Path, text: str | None) -> Path | None:
    if text is None or url_scheme(text) is not None:
        return None
    target = Path(text)
    return target if target.is_absolute() else Path(work_dir) / target


def _pointer_text(work_dir: str | Path) -> str | None:
    pointer = Path(work_dir) / POINTER_NAME
    try:
        text = pointer.read_text(encoding="utf-8").strip()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, UnicodeDecodeError):
        return None
    if not text or "\n" in text or "\x00" in text:
        return None
    return text


def _regular_files(
    folder: Path, pattern: re.Pattern[str]
) -> list[tuple[re.Match[str], float, Path]]:
    """The regular files in ``folder`` whose whole name matches ``pattern``, with the match
    and their mtime. A folder or a symlink of such a name is not a checkpoint this run
    wrote, so it is never resumed from nor pruned."""
    if not folder.is_dir():
        return []
    found = []
    for entry in folder.iterdir():
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        try:
            info = entry.lstat()
        except FileNotFoundError:  # pruned meanwhile
            continue
        if stat.S_ISREG(info.st_mode):
            found.append((match, info.st_mtime, entry))
    return found


def list_checkpoints(folder: str | Path) -> list[Path]:
    """``epoch_N.pth`` / ``iter_N.pth`` files in ``folder``, newest progress first (regular
    files only)."""
    return _by_progress(folder, _PROGRESS_NAME)


def list_best_checkpoints(folder: str | Path) -> list[Path]:
    """``save_best``'s ``best_*_epoch_N.pth`` / ``best_*_iter_N.pth`` files in ``folder``,
    newest progress first: whole training checkpoints, resumed from when a run saved
    nothing else (``interval=-1``)."""
    return _by_progress(folder, _BEST_NAME)


def _by_progress(folder: str | Path, pattern: re.Pattern[str]) -> list[Path]:
    found = [
        (match["kind"], int(match["n"]), mtime, entry)
        for match, mtime, entry in _regular_files(Path(folder), pattern)
    ]
    if len({kind for kind, *_ in found}) > 1:  # N of epochs and of iters do not compare
        found.sort(key=lambda t: (t[2], t[1]), reverse=True)
    else:
        found.sort(key=lambda t: (t[1], t[2]), reverse=True)
    return [path for *_, path in found]


def numbered_like(target: Path) -> list[Path]:
    """Regular files in ``target``'s folder named as ``target`` with another number, highest
    first: ``ckpt_3.pth`` -> ``ckpt_N.pth`` (a ``filename_tmpl``), ``out/run/epoch_3.pth`` (an
    ``out_dir``). ``best_*`` files never match (the name must match from its start)."""
    runs = list(re.finditer(r"\d+", target.name))
    if not runs:
        return []
    last = runs[-1]
    pattern = re.compile(
        re.escape(target.name[: last.start()]) + r"(\d+)" + re.escape(target.name[last.end() :])
    )
    found = [
        (int(m[1]), mtime, entry) for m, mtime, entry in _regular_files(target.parent, pattern)
    ]
    found.sort(key=lambda t: (t[0], t[1]), reverse=True)
    return [path for *_, path in found]


def checkpoints_beside(target: Path) -> list[Path]:
    """The run's earlier files beside ``target``, newest first: for the default names
    (``epoch_N`` / ``iter_N``) as :func:`list_checkpoints` orders them, so that an
    epoch-based run's preemption saves (``iter_N``) and its ``epoch_N`` files compare by
    time rather than one kind going first; for other names :func:`numbered_like`'s."""
    if _PROGRESS_NAME.fullmatch(target.name):
        return list_checkpoints(target.parent)
    return numbered_like(target)


def _is_complete(path: Path, verify: bool) -> bool:
    try:
        if verify:
            verify_checkpoint(path)
        elif _sniff(path) == "zip":
            _open_zip(path).close()
    except CheckpointError as exc:
        _warn(f"Skipping checkpoint {path}: {exc}")
        return False
    return True


def find_latest_checkpoint(path: str | Path, *, verify: bool = True) -> str | None:
    """The path of the newest complete checkpoint in the work dir ``path`` (a ``str``, as
    MMEngine's, whose parameter name this keeps), or None when there is none.

    Follows ``last_checkpoint`` when its target verifies, else scans the
    folder (see the module docstring). ``verify=False`` only checks that each
    candidate is a whole zip archive (cheaper for huge files).
    """
    return _latest_with_bytes(path, verify=verify)[0]


def _latest_with_bytes(path: str | Path, *, verify: bool = True) -> tuple[str | None, bytes | None]:
    """:func:`find_latest_checkpoint`, with the bytes of a remote checkpoint it downloaded and
    verified (None for a local file): the resume path loads those (``kept_for_load``)
    instead of downloading the file twice."""
    work_dir = Path(path)
    text = _pointer_text(work_dir)
    if text is not None and url_scheme(text) is not None:
        return _remote_latest(work_dir / POINTER_NAME, text, verify)
    return _local_latest(work_dir, text, verify), None


def _local_latest(work_dir: Path, text: str | None, verify: bool) -> str | None:
    tried: set[Path] = set()
    target = _local_target(work_dir, text)
    siblings: list[Path] = []
    if target is not None:
        candidates = [target]
        local = same_file_in(work_dir, target)
        outside = not is_inside(target, work_dir)
        # a copy of the target's folder: the work dir holds the target or files of the same
        # names as the target's folder (not a run saving to out_dir, whose files differ)
        copied = outside and (
            local.is_file()
            or any((target.parent / own.name).is_file() for own in list_checkpoints(work_dir))
        )
        if copied:
            # a copied or moved work dir (it has checkpoints of its own): its own file, not
            # the original's, also when that one was deleted here to roll back
            candidates = [local]
        elif not target.exists():
            candidates.append(local)
        for candidate in candidates:
            if candidate.is_file() and _is_complete(candidate, verify):
                return str(candidate)
            tried.add(candidate.absolute())
        # the run's own naming (filename_tmpl, out_dir): its earlier files, beside the
        # target; the work dir's own first (a copied work dir continues on its files)
        siblings = list(
            dict.fromkeys(p for c in reversed(candidates) for p in checkpoints_beside(c))
        )
        what = (
            f"{target}, outside the work dir, whose copy here ({local}) is missing or broken"
            if copied
            else f"{target}, which is missing or broken"
        )
        _warn(
            f"{work_dir / POINTER_NAME} points at {what}; looking for the newest complete "
            f"checkpoint beside it and in {work_dir} instead."
        )
    for candidate in [*siblings, *list_checkpoints(work_dir)]:
        if candidate.absolute() not in tried and _is_complete(candidate, verify):
            return str(candidate)
        tried.add(candidate.absolute())
    # a run that kept only its best checkpoints (save_best with interval=-1) wrote no
    # pointer: starting over would overwrite them with the new run's best. Not when there
    # were others, damaged: the resume refuses to start over those (see its caller)
    if tried:
        return None
    for candidate in list_best_checkpoints(work_dir):
        if _is_complete(candidate, verify):
            _warn(
                f"{work_dir} holds no last_checkpoint and no epoch_/iter_ checkpoint: the "
                f"latest is {candidate.name}, the newest complete save_best checkpoint (a "
                "resume from it trains the epochs or iterations after it again)."
            )
            return str(candidate)
    return None


def _remote_latest(pointer: Path, location: str, verify: bool) -> tuple[str, bytes | None]:
    """The pointer's URL once its backend holds a whole checkpoint there, with the bytes
    verified (``verify``); else CheckpointError."""
    scheme = url_scheme(location)
    try:
        target = load_source(location)
    except CheckpointError as exc:
        raise CheckpointError(
            f"{str(pointer)!r} names {location!r}, a URL ({scheme}://) that no storage backend "
            "you registered serves, so the run cannot resume from it. Register the backend that "
            "saved it (import the module that calls runner_core.fileio.register_backend, e.g. "
            "through custom_imports) before resuming, or pass resume='<local copy>'."
        ) from exc
    data = None
    try:
        if verify:
            data = fetch(target)
            verify_checkpoint_bytes(data, location)
        elif remote_isfile(target) is False:
            raise CheckpointError(
                f"{location!r} does not exist on storage backend {target.backend_name}."
            )
    except CheckpointError as exc:
        raise CheckpointError(
            f"{str(pointer)!r} names {location!r}, which cannot be resumed from: {exc} A "
            "remote folder is not scanned for an older checkpoint (starting over would train "
            "on top of them): pass resume='<URL of an earlier checkpoint>', or move the "
            "pointer away to start from scratch."
        ) from exc
    return location, data


def prune_checkpoints(
    folder: str | Path,
    max_keep_ckpts: int,
    *,
    work_dir: str | Path | None = None,
    protect: Iterable[str | Path] = (),
) -> list[Path]:
    """Delete old ``epoch_N.pth`` / ``iter_N.pth`` files in ``folder``; return what was deleted.

    Keeps the newest ``max_keep_ckpts`` of each kind (``<= 0`` keeps all),
    the target of ``last_checkpoint`` in ``work_dir`` (default: ``folder``)
    and every path in ``protect``. Other names (``best_*.pth``, ...), folders
    and symlinks are never touched. Call it after :func:`write_pointer` (see module docstring).
    """
    if max_keep_ckpts is None or max_keep_ckpts <= 0:
        return []
    folder = Path(folder)
    keep = {Path(p).resolve() for p in protect}
    target = read_pointer(work_dir if work_dir is not None else folder)
    if target is not None:
        keep.add(target.resolve())
    by_kind: dict[str, list[Path]] = {}
    for path in list_checkpoints(folder):
        kind = _PROGRESS_NAME.match(path.name)["kind"]  # type: ignore[index]
        by_kind.setdefault(kind, []).append(path)
    removed: list[Path] = []
    for paths in by_kind.values():
        paths.sort(key=lambda p: int(_PROGRESS_NAME.match(p.name)["n"]), reverse=True)  # type: ignore[index]
        for old in paths[max_keep_ckpts:]:
            if old.resolve() in keep:
                continue
            try:
                if not stat.S_ISREG(old.lstat().st_mode):  # replaced since it was listed
                    continue
                old.unlink()
            except FileNotFoundError:
                continue
            removed.append(old)
    return removed
