"""Errors of ``runner_core.fileio``; each also the exception MMEngine raises there."""

from __future__ import annotations

from urllib.error import URLError

from ..errors import RunnerError

__all__ = [
    "BackendNameError",
    "BackendUnavailableError",
    "FileArgumentError",
    "FileBackendError",
    "FileContentError",
    "FileFormatError",
    "FileIOError",
    "MissingFormatError",
    "RemoteBackendUnavailableError",
    "RemoteFileError",
    "UnreachableURLError",
    "UnregisteredPrefixError",
    "UnsupportedOperationError",
]


class FileIOError(RunnerError):
    """Base class of the errors ``runner_core.fileio`` raises on purpose."""


class RemoteFileError(FileIOError, FileNotFoundError):
    """A URL (``s3://``, ``http://``) no registered backend can read: runner never downloads.

    A FileNotFoundError, as the checkpoint loader's refusal of URLs: no local
    file has that name.
    """


class UnregisteredPrefixError(RemoteFileError, KeyError):
    """A URL whose prefix (``oss://``) no backend is registered for.

    MMEngine looks the prefix up in its table and raises KeyError (``get_file_backend``,
    ``get``, ``load``, ...): this is one too.
    """


class FileBackendError(FileIOError, ValueError):
    """``backend_args`` name a storage backend other than the local disk, or clash."""


class BackendNameError(FileBackendError, KeyError):
    """A backend name or prefix that is not registered, or already taken.

    MMEngine raises KeyError for both (``get_file_backend``, ``FileClient.register_backend``)
    and ValueError where ``register_backend`` finds the name taken: this is both.
    """


class BackendUnavailableError(FileBackendError, ImportError):
    """A backend that cannot be built here: a remote one, or LMDB without ``lmdb``.

    An ImportError, as MMEngine's when ``petrel_client``, ``mc`` or ``lmdb`` is
    missing, so ``except ImportError`` fallbacks keep working.
    """


class RemoteBackendUnavailableError(BackendUnavailableError):
    """A URL whose prefix (``s3://``, ``petrel://``) belongs to a remote backend runner has as a name only.

    MMEngine builds its PetrelBackend there and raises ImportError without
    ``petrel_client``: this is an ImportError too, so ``except ImportError``
    fallbacks keep working. It cannot also be a :class:`RemoteFileError`:
    Python cannot derive one class from both ImportError and FileNotFoundError.
    """


class UnreachableURLError(RemoteFileError, URLError):
    """An ``http://``/``https://`` URL: runner's HTTPBackend is a name only.

    MMEngine reads it with ``urlopen``, which raises URLError (an OSError) when
    the host cannot be reached: this is one too, and a RemoteFileError.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.reason = message  # URLError's attribute: why the URL could not be opened

    def __str__(self) -> str:  # URLError's would wrap the message in "<urlopen error ...>"
        return str(self.args[0]) if self.args else ""


class FileArgumentError(FileIOError, TypeError, AssertionError):
    """An argument of the wrong type: a path that is not str/Path, a backend or handler that is not one.

    MMEngine raises TypeError for these, and asserts (AssertionError) on paths
    and on the type of ``register_backend``'s ``prefixes``.
    """


class UnsupportedOperationError(FileIOError, NotImplementedError, AttributeError):
    """The storage backend serving a path has no such method (``generate_presigned_url`` locally).

    MMEngine calls the missing method and fails with AttributeError; its docs
    promise NotImplementedError: this is both.
    """


class FileFormatError(FileIOError, TypeError):
    """``load``/``dump`` cannot tell or do not know the format (MMEngine: TypeError)."""


class MissingFormatError(FileIOError, ValueError):
    """``dump`` to a string without ``file_format`` (MMEngine: ValueError)."""


class FileContentError(FileIOError, ValueError, AssertionError):
    """A text file's lines are not what ``dict_from_file`` reads (MMEngine asserts: AssertionError)."""
