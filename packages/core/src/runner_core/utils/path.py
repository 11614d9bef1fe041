"""Local path helpers (MMEngine's ``utils.path``): folders, file checks, scanning, opening."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "check_file_exist",
    "fopen",
    "is_abs",
    "is_filepath",
    "mkdir_or_exist",
    "scandir",
    "symlink",
]

_REMOTE_PREFIXES = ("http://", "https://", "s3://")


def is_filepath(x: Any) -> bool:
    """Whether ``x`` can name a file: a ``str`` or a ``pathlib.Path``."""
    return isinstance(x, (str, Path))


def fopen(filepath: str | Path, *args: Any, **kwargs: Any) -> IO[Any]:
    """``open(filepath, ...)`` for a ``str`` or a ``Path``; anything else is a ValueError."""
    if isinstance(filepath, str):
        return open(filepath, *args, **kwargs)  # noqa: SIM115 - the caller closes it
    if isinstance(filepath, Path):
        return filepath.open(*args, **kwargs)
    raise ValueError(
        f"fopen: `filepath` should be a string or a Path, got {type(filepath).__name__} "
        f"{filepath!r:.80}."
    )


def is_abs(path: str) -> bool:
    """Whether ``path`` is absolute: a local absolute path or an http(s):// or s3:// URL."""
    return os.path.isabs(path) or path.startswith(_REMOTE_PREFIXES)


def check_file_exist(filename: str | Path, msg_tmpl: str = 'file "{}" does not exist') -> None:
    """Raise FileNotFoundError (``msg_tmpl`` formatted with the name) unless ``filename`` is a file."""
    if not os.path.isfile(filename):
        raise FileNotFoundError(msg_tmpl.format(filename))


def mkdir_or_exist(dir_name: str | Path, mode: int = 0o777) -> None:
    """Create ``dir_name`` and its parents if missing (``~`` expanded); ``''`` does nothing."""
    if dir_name == "":
        return
    os.makedirs(os.path.expanduser(dir_name), mode=mode, exist_ok=True)


def symlink(src: str | Path, dst: str | Path, overwrite: bool = True, **kwargs: Any) -> None:
    """Make ``dst`` a symbolic link to ``src``, replacing an existing ``dst`` if ``overwrite``."""
    if os.path.lexists(dst) and overwrite:
        os.remove(dst)
    os.symlink(src, dst, **kwargs)


def scandir(
    dir_path: str | Path,
    suffix: str | tuple[str, ...] | None = None,
    recursive: bool = False,
    case_sensitive: bool = True,
) -> Iterator[str]:
    """Yield the files under ``dir_path`` (relative to it) whose names end with ``suffix``.

    Hidden files (``.name``) are skipped; hidden folders are still entered when
    ``recursive``, as in MMEngine. ``case_sensitive=False`` compares the suffix
    ignoring case. The order is the file system's (sort it when it matters).
    """
    if not isinstance(dir_path, (str, Path)):
        raise TypeError(
            f'"dir_path" must be a string or Path object, got {type(dir_path).__name__}'
        )
    if suffix is not None and not isinstance(suffix, (str, tuple)):
        raise TypeError(f'"suffix" must be a string or tuple of strings, got {suffix!r}')
    if suffix is not None and not case_sensitive:
        suffix = suffix.lower() if isinstance(suffix, str) else tuple(s.lower() for s in suffix)
    root = str(dir_path)

    def scan(folder: str) -> Iterator[str]:
        for entry in os.scandir(folder):
            if not entry.name.startswith(".") and entry.is_file():
                rel_path = os.path.relpath(entry.path, root)
                compared = rel_path if case_sensitive else rel_path.lower()
                if suffix is None or compared.endswith(suffix):
                    yield rel_path
            elif recursive and os.path.isdir(entry.path):
                yield from scan(entry.path)

    return scan(root)
