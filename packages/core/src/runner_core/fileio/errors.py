"""Errors of ``runner_core.fileio``; each also the exception MMEngine raises there."""

from __future__ import annotations

from ..errors import RunnerError

__all__ = [
    "FileBackendError",
    "FileContentError",
    "FileFormatError",
    "FileIOError",
    "MissingFormatError",
    "RemoteFileError",
]


class FileIOError(RunnerError):
    """Base class of the errors ``runner_core.fileio`` raises on purpose."""


class RemoteFileError(FileIOError, FileNotFoundError):
    """A URL (``s3://``, ``http://``) was given: runner reads local files only.

    A FileNotFoundError, as the checkpoint loader's refusal of URLs: no local
    file has that name.
    """


class FileBackendError(FileIOError, ValueError):
    """``backend_args`` name a storage backend other than the local disk, or clash."""


class FileFormatError(FileIOError, TypeError):
    """``load``/``dump`` cannot tell or do not know the format (MMEngine: TypeError)."""


class MissingFormatError(FileIOError, ValueError):
    """``dump`` to a string without ``file_format`` (MMEngine: ValueError)."""


class FileContentError(FileIOError, ValueError, AssertionError):
    """A text file's lines are not what ``dict_from_file`` reads (MMEngine asserts: AssertionError)."""
