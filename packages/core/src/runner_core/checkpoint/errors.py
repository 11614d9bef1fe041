"""The error raised when a checkpoint cannot be saved, found, verified or loaded.

Kept in its own module (no torch import) so that code which only wants to
catch the error, such as the CLI, does not pay for importing torch.
"""

from __future__ import annotations

from runner_core.errors import RunnerError


class CheckpointError(RunnerError, RuntimeError):
    """A checkpoint file is missing, truncated, corrupt, unsafe or does not fit the model.

    The message is one paragraph that names the file and says what to do.
    It is a ``RuntimeError`` too, so code written against ``torch.load``'s
    errors keeps catching it.
    """


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The checkpoint file does not exist (MMEngine raises FileNotFoundError here)."""


class CheckpointEOFError(CheckpointError, EOFError):
    """The checkpoint file is empty (MMEngine's ``torch.load`` raises EOFError there)."""
