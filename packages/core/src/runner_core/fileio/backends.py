"""Storage backends: the abstract one users subclass, and the local disk.

MMEngine reads every path through a backend object chosen by the path's
prefix (see :mod:`.registry`); datasets call ``backend.get``, ``join_path``,
``list_dir_or_file`` on it. ``LocalBackend`` is the one runner ships working;
users add their own (S3, a database) by subclassing ``BaseStorageBackend``.
"""

from __future__ import annotations

import logging
import os
import shutil
from abc import ABCMeta, abstractmethod
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..lazy import lazy_exports
from ..utils.path import mkdir_or_exist

__all__ = [
    "BaseStorageBackend",
    "HTTPBackend",
    "HardDiskBackend",
    "LmdbBackend",
    "LocalBackend",
    "MemcachedBackend",
    "PetrelBackend",
    "backends",
    "prefix_to_backends",
    "register_backend",
]


class BaseStorageBackend(metaclass=ABCMeta):
    """What every storage backend is: ``get`` (bytes) and ``get_text`` at least.

    The other methods the ``fileio`` functions call (``put``, ``exists``,
    ``join_path``, ``list_dir_or_file``, ...) are optional: a backend without
    one fails with :class:`~runner_core.fileio.UnsupportedOperationError`
    when that function is used with its paths.
    """

    # whether the backend can symlink; MMEngine deprecates it but still reads it
    _allow_symlink = False

    @property
    def allow_symlink(self) -> bool:
        """Whether ``copy_if_symlink_fails`` can link rather than copy (deprecated in MMEngine)."""
        return self._allow_symlink

    @property
    def name(self) -> str:
        """The class name, as MMEngine reports it."""
        return self.__class__.__name__

    @abstractmethod
    def get(self, filepath: Any) -> Any:
        """The bytes stored at ``filepath``."""

    @abstractmethod
    def get_text(self, filepath: Any, encoding: str = "utf-8") -> str:
        """The text stored at ``filepath``."""


def require_concrete(cls: type, where: str) -> None:
    """Refuse to build a backend class that leaves a required method unwritten.

    Python's own error ("Can't instantiate abstract class ...") comes from deep
    inside a save or a load; this one names the backend and the methods to add.
    """
    import inspect

    from .errors import FileArgumentError

    missing = sorted(getattr(cls, "__abstractmethods__", ()))
    if inspect.isabstract(cls) and missing:
        raise FileArgumentError(
            f"Storage backend {cls.__name__} ({where}) cannot be built: it does not implement "
            f"{', '.join(missing)}, which every storage backend must (BaseStorageBackend's "
            f"abstract methods). Add {' and '.join(f'def {m}(self, filepath, ...)' for m in missing)} "
            f"to {cls.__name__}, then register it again."
        )


class LocalBackend(BaseStorageBackend):
    """The local file system (paths without a ``scheme://`` prefix), as MMEngine's."""

    _allow_symlink = True

    def get(self, filepath: str | Path) -> bytes:
        """The bytes of a local file."""
        with open(filepath, "rb") as f:
            return f.read()

    def get_text(self, filepath: str | Path, encoding: str = "utf-8") -> str:
        """The text of a local file, decoded with ``encoding``."""
        with open(filepath, encoding=encoding) as f:
            return f.read()

    def put(self, obj: bytes, filepath: str | Path) -> None:
        """Write ``obj`` to a local file, creating its folder if needed."""
        mkdir_or_exist(os.path.dirname(filepath))
        with open(filepath, "wb") as f:
            f.write(obj)

    def put_text(self, obj: str, filepath: str | Path, encoding: str = "utf-8") -> None:
        """Write the text ``obj`` to a local file, creating its folder if needed."""
        mkdir_or_exist(os.path.dirname(filepath))
        with open(filepath, "w", encoding=encoding) as f:
            f.write(obj)

    def exists(self, filepath: str | Path) -> bool:
        """Whether the path exists."""
        return os.path.exists(filepath)

    def isdir(self, filepath: str | Path) -> bool:
        """Whether the path is a folder."""
        return os.path.isdir(filepath)

    def isfile(self, filepath: str | Path) -> bool:
        """Whether the path is a file."""
        return os.path.isfile(filepath)

    def join_path(self, filepath: str | Path, *filepaths: str | Path) -> str:
        """``os.path.join`` of the parts, a ``str`` even for ``Path`` parts (as MMEngine)."""
        return os.path.join(filepath, *filepaths)

    @contextmanager
    def get_local_path(self, filepath: str | Path) -> Generator[str | Path, None, None]:
        """Yield ``filepath`` itself: a local file needs no fetching, and is never removed."""
        yield filepath

    def copyfile(self, src: str | Path, dst: str | Path) -> str | Path:
        """Copy the file ``src`` to ``dst`` (into it if a folder) and return the new file's path.

        ``shutil.copy``: an existing ``dst`` file is replaced; the same file
        raises ``shutil.SameFileError``; ``dst``'s folder must exist.
        """
        return shutil.copy(src, dst)

    def copytree(self, src: str | Path, dst: str | Path) -> str | Path:
        """Copy the folder ``src`` to the new folder ``dst`` and return ``dst``.

        ``shutil.copytree``: ``dst`` must not exist (FileExistsError).
        """
        return shutil.copytree(src, dst)

    def copyfile_from_local(self, src: str | Path, dst: str | Path) -> str | Path:
        """:meth:`copyfile`: both ends are local."""
        return self.copyfile(src, dst)

    def copytree_from_local(self, src: str | Path, dst: str | Path) -> str | Path:
        """:meth:`copytree`: both ends are local."""
        return self.copytree(src, dst)

    def copyfile_to_local(self, src: str | Path, dst: str | Path) -> str | Path:
        """:meth:`copyfile`: both ends are local."""
        return self.copyfile(src, dst)

    def copytree_to_local(self, src: str | Path, dst: str | Path) -> str | Path:
        """:meth:`copytree`: both ends are local."""
        return self.copytree(src, dst)

    def remove(self, filepath: str | Path) -> None:
        """Delete a file; a folder or a missing path is an error (as MMEngine)."""
        if not os.path.exists(filepath):
            raise FileNotFoundError(f"filepath {filepath} does not exist")
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                f"filepath should be a file: {filepath} is a folder; use rmtree() to delete it."
            )
        os.remove(filepath)

    def rmtree(self, dir_path: str | Path) -> None:
        """Delete a folder and everything under it (``shutil.rmtree``)."""
        shutil.rmtree(dir_path)

    def copy_if_symlink_fails(self, src: str | Path, dst: str | Path) -> bool:
        """Make ``dst`` a symlink to ``src``: True; if that fails, copy instead: False.

        A file is copied with :meth:`copyfile`, a folder with :meth:`copytree`.
        """
        try:
            os.symlink(src, dst)
            return True
        except Exception:
            if os.path.isfile(src):
                self.copyfile(src, dst)
            else:
                self.copytree(src, dst)
            return False

    def list_dir_or_file(
        self,
        dir_path: str | Path,
        list_dir: bool = True,
        list_file: bool = True,
        suffix: str | tuple[str, ...] | None = None,
        recursive: bool = False,
    ) -> Iterator[str]:
        """Yield the folders and/or files under ``dir_path``, relative to it.

        ``suffix`` filters files and needs ``list_dir=False``; hidden files are
        skipped. The order is the file system's. The arguments are checked on
        the call, the folder read as the result is iterated.
        """
        if list_dir and suffix is not None:
            raise TypeError("`suffix` should be None when `list_dir` is True")
        if suffix is not None and not isinstance(suffix, (str, tuple)):
            raise TypeError(f"`suffix` must be a string or tuple of strings, got {suffix!r}")
        root = dir_path

        def scan(folder: str | Path) -> Iterator[str]:
            for entry in os.scandir(folder):
                if not entry.name.startswith(".") and entry.is_file():
                    rel_path = os.path.relpath(entry.path, root)
                    if list_file and (suffix is None or rel_path.endswith(suffix)):
                        yield rel_path
                elif os.path.isdir(entry.path):
                    if list_dir:
                        yield os.path.relpath(entry.path, root)
                    if recursive:
                        yield from scan(entry.path)

        return scan(dir_path)


class HardDiskBackend(LocalBackend):
    """``FileClient(backend='disk')``: the local disk under its old name (MMEngine warns)."""

    def __init__(self) -> None:
        from ..logging import print_log

        print_log(
            '"HardDiskBackend" is the alias of "LocalBackend" and the former will be '
            "deprecated in future.",
            logger="current",
            level=logging.WARNING,
        )


# the rest of MMEngine's ``mmengine.fileio.backends`` names (custom backends are registered
# from there): loaded on first use, as they import this module
_LAZY = {
    "HTTPBackend": "runner_core.fileio.remote",
    "PetrelBackend": "runner_core.fileio.remote",
    "MemcachedBackend": "runner_core.fileio.remote",
    "LmdbBackend": "runner_core.fileio.lmdb_backend",
    "backends": "runner_core.fileio.registry",
    "prefix_to_backends": "runner_core.fileio.registry",
    "register_backend": "runner_core.fileio.registry",
}

if TYPE_CHECKING:  # pragma: no cover
    from runner_core.fileio.lmdb_backend import LmdbBackend as LmdbBackend
    from runner_core.fileio.registry import backends as backends
    from runner_core.fileio.registry import prefix_to_backends as prefix_to_backends
    from runner_core.fileio.registry import register_backend as register_backend
    from runner_core.fileio.remote import HTTPBackend as HTTPBackend
    from runner_core.fileio.remote import MemcachedBackend as MemcachedBackend
    from runner_core.fileio.remote import PetrelBackend as PetrelBackend
else:
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
