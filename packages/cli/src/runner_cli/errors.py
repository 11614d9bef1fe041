"""How the CLI reports failures: one paragraph on stderr, a meaningful exit status.

Exit statuses: 0 success; 2 the command line or the config is wrong (fix the
input and run again); 1 something failed while running (a checkpoint that does
not load, a NaN loss, a full disk); 130 interrupted with Ctrl-C. No traceback
is shown unless ``--debug`` is given.
"""

from __future__ import annotations

import sys
from typing import TextIO

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """The command line itself is wrong (exit status 2)."""


class CommandFailed(Exception):
    """A command ran and found a problem it already described (exit status 1)."""


def _input_error_types() -> tuple[type[BaseException], ...]:
    """Errors that mean "fix your input": usage, config, registry, build arguments, hooks."""
    from runner_core.errors import BuildError, ConfigError, HookError, RegistryError

    return (UsageError, ConfigError, RegistryError, BuildError, HookError)


def one_paragraph(text: str) -> str:
    """Collapse a message to one line of text (a paragraph on a terminal)."""
    return " ".join(str(text).split())


def exit_status_for(exc: BaseException) -> int:
    """2 for input errors, 1 for everything that failed while running."""
    if isinstance(exc, _input_error_types()):
        return EXIT_USAGE
    return EXIT_FAILURE


#: notes the hook manager and the loops add to name where an error was raised
_RAISED_IN = ("Raised by hook ", "Raised in ")


def describe(exc: BaseException, debug: bool = False) -> str:
    """The message shown for ``exc``: its own text for runner's errors, the type otherwise."""
    from runner_core.errors import RunnerError

    message = one_paragraph(str(exc))
    notes = [str(note) for note in getattr(exc, "__notes__", None) or []]
    # where a data error happened (runner_core.data.error_context)
    context = [one_paragraph(note) for note in notes if note.startswith("while loading ")]
    if context:
        message = f"{message or '(no message)'}, {'; '.join(context)}"
    # the hook or the step it was raised in (the hook manager, the loops)
    where = [one_paragraph(note) for note in notes if note.startswith(_RAISED_IN)]
    if where:
        message = f"{(message or '(no message)').rstrip('.')}. {' '.join(where)}"
    if isinstance(exc, (UsageError, CommandFailed, RunnerError)):
        return message or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename:
        reason = exc.strerror or message
        return (
            f"{reason}: {exc.filename!r}. Check that the path exists, is writable and that "
            "the disk has free space."
        )
    hint = "" if debug else " (run again with --debug for the traceback)"
    return f"unexpected {type(exc).__name__}: {message or '(no message)'}{hint}"


def report(exc: BaseException, stream: TextIO | None = None, debug: bool = False) -> int:
    """Print ``exc`` as one paragraph on stderr; return the exit status for it."""
    print(f"runner-cli: error: {describe(exc, debug)}", file=stream or sys.stderr)
    return exit_status_for(exc)
