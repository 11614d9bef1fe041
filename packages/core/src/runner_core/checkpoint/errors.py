"""The error raised when a checkpoint cannot be saved, found, verified or loaded.

Kept in its own module (no torch import) so that code which only wants to
catch the error, such as the CLI, does not pay for importing torch.
"""

from __future__ import annotations

import os
from pickle import UnpicklingError

from runner_core.errors import RunnerError


class CheckpointError(RunnerError, RuntimeError):
    """A checkpoint file is missing, truncated, corrupt, unsafe or does not fit the model.

    The message is one paragraph that names the file and says what to do.
    It is a ``RuntimeError`` too, so code written against ``torch.load``'s
    errors keeps catching it.
    """


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The checkpoint file does not exist (MMEngine raises FileNotFoundError here)."""


class CheckpointModuleNotFoundError(CheckpointError, ModuleNotFoundError):
    """Unpickling (``allow_pickle=True``) needs a module that is not installed (MMEngine's
    ``torch.load`` raises ModuleNotFoundError here); ``name`` is the module."""

    def __init__(self, message: str, name: str | None = None) -> None:
        super().__init__(message)
        self.name = name


class CheckpointEOFError(CheckpointError, EOFError):
    """The checkpoint file is empty (MMEngine's ``torch.load`` raises EOFError there)."""


class CheckpointCorruptError(CheckpointError, OSError):
    """The checkpoint file is truncated or its zip archive is damaged: ``torch.load``
    raises an OSError there (torch before 2.x, a RuntimeError: this is both)."""


class CheckpointUnpicklingError(CheckpointError, UnpicklingError):
    """The file is no torch checkpoint (a text file, a plain pickle) or its records cannot
    be unpickled: ``torch.load`` (MMEngine's loader) raises ``pickle.UnpicklingError``."""


class CheckpointFormatError(CheckpointUnpicklingError):
    """The file is no torch checkpoint at all (a text file, an HTML page, a plain pickle):
    the path given is at fault, not a save (``runner-cli`` exits 2, as for a missing file)."""


class CheckpointAssertionError(CheckpointError, AssertionError):
    """A checkpoint lacks what was asked of it where MMEngine asserts (no weights under the
    ``prefix`` given to ``_load_checkpoint_with_prefix``)."""


class CheckpointKeyError(CheckpointError, KeyError):
    """A resumed checkpoint lacks a key the resume needs: its position (``meta.epoch``,
    ``meta.iter``: MMEngine's KeyError), or what the configured optimizer needs (another
    optimizer type): torch fails there at the first step with a bare KeyError ('step')."""


class CheckpointValueError(CheckpointError, ValueError):
    """A resumed optimizer state has other param groups than the configured optimizer (torch's
    ``load_state_dict`` raises ValueError there)."""


class CheckpointWriteError(CheckpointError, OSError):
    """The operating system refused a checkpoint write: disk full, no permission, read-only.

    An ``OSError`` too, carrying the OS's ``errno`` and ``strerror``, as
    MMEngine's save raises it (``[Errno 28] No space left on device``), so
    ``except OSError`` and ``exc.errno == errno.ENOSPC`` keep working.
    ``filename`` is the checkpoint that could not be written.
    """

    def __init__(
        self,
        message: str,
        errno: int | None = None,
        strerror: str | None = None,
        filename: str | None = None,
    ) -> None:
        super().__init__(message)
        self.errno, self.strerror, self.filename = errno, strerror, filename

    def __str__(self) -> str:  # the message, not OSError's "[Errno n] strerror: filename"
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> tuple[object, ...]:  # OSError's would rebuild from errno alone
        return (type(self), (str(self), self.errno, self.strerror, self.filename))


class CheckpointPermissionError(CheckpointWriteError, PermissionError):
    """A checkpoint folder or file is not writable (MMEngine raises PermissionError here)."""


def os_error_in(exc: BaseException) -> OSError | None:
    """The first ``OSError`` in ``exc`` or the errors it was raised from or during.

    ``torch.save`` turns a failed write into a ``RuntimeError`` about its
    archive whose ``__context__`` is the ``OSError`` that says why.
    """
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError):
            return current
        todo += [current.__cause__, current.__context__]
    return None


def write_error(action: str, os_error: OSError, path: str, then: str) -> CheckpointWriteError:
    """A :class:`CheckpointWriteError` for ``path``: "<action>: [Errno n] <OS message>. <then>"."""
    from errno import EACCES, EDQUOT, EFBIG, ENOSPC, EPERM, EROFS

    from .atomic import TEMP_FILE_PATTERN

    number, reason = os_error.errno, os_error.strerror or str(os_error) or type(os_error).__name__
    cause = f"[Errno {number}] {reason}" if number is not None else reason
    where = os_error.filename
    named = os.fsdecode(where) if isinstance(where, str | bytes) else None
    # our temp file is removed, so it is not named
    if named and named != path and not TEMP_FILE_PATTERN.match(os.path.basename(named)):
        cause += f": {named!r}"  # e.g. the folder that could not be created
    if number in (ENOSPC, EDQUOT):
        fix = "Check free disk space (and quota) on that filesystem, or save somewhere else."
    elif number == EFBIG:  # the file-size limit (ulimit -f) or the filesystem's
        fix = (
            "Raise the file-size limit (ulimit -f) if one is set, check free disk space, "
            "or save somewhere else."
        )
    elif number in (EACCES, EPERM, EROFS):
        fix = "Make the folder writable by this user, or save somewhere else."
    else:
        fix = "Check the disk and the folder, or save somewhere else."
    kind = (
        CheckpointPermissionError if isinstance(os_error, PermissionError) else CheckpointWriteError
    )
    return kind(f"{action}: {cause}. {then} {fix}", number, reason, path)
