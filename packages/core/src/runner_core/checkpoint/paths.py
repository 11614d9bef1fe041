"""Paths a run records about its own files, kept relative so a work dir is self-contained.

A run writes the names of its checkpoints in the checkpoint hook's state
(the files it keeps, its best checkpoints). Absolute paths there tie a work dir
to the place it was created: copied to ``B/`` and continued, it would resume
from, and then prune, the files of the original. So a path inside the work dir
is recorded relative to it, and a recorded absolute path that lies outside
the folders of the current run (an old record, or one copied from elsewhere)
is read as the same file name inside this run's folder. (The
``last_checkpoint`` pointer is absolute, as MMEngine reads it; ``find.py``
maps it into a copied work dir the same way.) Only files inside the run's folders
are ever deleted (:func:`may_delete`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["is_inside", "may_delete", "record_path", "resolve_recorded", "same_file_in"]


def is_inside(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> bool:
    """True when ``path`` is ``folder`` or lies below it (symlinks resolved)."""
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(folder))
    except ValueError:
        return False
    return True


def record_path(path: str | os.PathLike[str], work_dir: str | os.PathLike[str]) -> str:
    """How ``path`` is written down: relative to ``work_dir`` when inside it, else absolute."""
    absolute = os.path.abspath(path)
    base = os.path.abspath(work_dir)
    if is_inside(absolute, base):
        return Path(os.path.relpath(absolute, base)).as_posix()
    return absolute


def resolve_recorded(
    text: str | os.PathLike[str],
    work_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """The file a recorded path means for the run in ``work_dir`` (checkpoints in ``out_dir``).

    Relative: below ``work_dir``. Absolute inside ``work_dir`` or ``out_dir``:
    itself. Absolute elsewhere (the work dir was copied or moved, or the record
    comes from another run's checkpoint): the same file name in ``out_dir``
    (default ``work_dir``), never the foreign file.
    """
    path = Path(text)
    if not path.is_absolute():
        return Path(os.path.abspath(Path(work_dir) / path))
    folders = [work_dir] + ([out_dir] if out_dir is not None else [])
    if any(is_inside(path, folder) for folder in folders):
        return path
    return Path(os.path.abspath(Path(out_dir if out_dir is not None else work_dir) / path.name))


def same_file_in(work_dir: str | os.PathLike[str], target: str | os.PathLike[str]) -> Path:
    """``target``'s file in a copied or moved ``work_dir``: the longest tail of its path that
    is a file there (``ckpts/epoch_2.pth`` before ``epoch_2.pth``), else its name there.

    For the ``last_checkpoint`` pointer, which names an absolute path as MMEngine writes it.
    """
    parts = Path(target).parts[1:]  # without the root
    for start in range(len(parts) - 1):
        candidate = Path(work_dir).joinpath(*parts[start:])
        try:
            if candidate.is_file():
                return candidate
        except OSError:  # a deep work dir joined to the whole path: over PATH_MAX
            continue
    return Path(work_dir) / Path(target).name


def may_delete(path: str | os.PathLike[str], folders: Iterable[str | os.PathLike[str]]) -> bool:
    """Only a file inside one of this run's ``folders`` may be deleted by the run."""
    return any(is_inside(path, folder) for folder in folders)
