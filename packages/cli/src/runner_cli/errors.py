"""How the CLI reports failures: one paragraph on stderr, a meaningful exit status.

Exit statuses: 0 success; 2 the command line or the config is wrong (fix the
input and run again; a checkpoint path that names a missing file, a folder or a
file that is no checkpoint at all, such as a text file); 1 something failed while
running (a checkpoint that does not load, a NaN loss, a full disk); 75 the work dir is in use by another live
run (``EX_TEMPFAIL``: the same command may succeed later, so a job scheduler's
retry can tell it from a wrong config); 130 interrupted with Ctrl-C. No traceback
is shown unless ``--debug`` is given. Warnings are one line too (:func:`show_warning`).
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import Any, TextIO

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_BUSY = 75  # sysexits.h EX_TEMPFAIL
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """The command line itself is wrong (exit status 2)."""


class CommandFailed(Exception):
    """A command ran and found a problem it already described (exit status 1)."""


def _input_error_types() -> tuple[type[BaseException], ...]:
    """Errors that mean "fix your input": usage, config, registry, build arguments, hooks,
    and a checkpoint path that names a file that is no checkpoint at all (a text file, an
    HTML page, a plain pickle), as a missing file's is. A checkpoint whose records do not
    load, or one cut short, is a failure (1)."""
    from runner_core.checkpoint.errors import CheckpointFormatError
    from runner_core.errors import INPUT_ERRORS

    return (UsageError, *INPUT_ERRORS, CheckpointFormatError)


def one_paragraph(text: str) -> str:
    """Collapse a message to one line of text (a paragraph on a terminal)."""
    return " ".join(str(text).split())


def exit_status_for(exc: BaseException) -> int:
    """75 for a work dir another run holds, 2 for input errors, 1 for everything that
    failed while running."""
    from runner_core.runner.work_dir_lock import WorkDirBusyError, WorkDirLockUnreadableError

    if isinstance(exc, WorkDirBusyError) and not isinstance(exc, WorkDirLockUnreadableError):
        return EXIT_BUSY  # another user's lock (unreadable) does not go away: 2, fix the input
    if isinstance(exc, _input_error_types()):
        return EXIT_USAGE
    return EXIT_FAILURE


#: notes the hook manager and the loops add to name where an error was raised
_RAISED_IN = ("Raised by hook ", "Raised in ")


def describe(exc: BaseException, debug: bool = False) -> str:
    """The message shown for ``exc``: its own text for runner's errors, the type otherwise."""
    from runner_core.errors import HINT_PREFIX, RunnerError

    message = one_paragraph(str(exc))
    notes = [str(note) for note in getattr(exc, "__notes__", None) or []]
    # where a data error happened (runner_core.data.error_context)
    context = [one_paragraph(note) for note in notes if note.startswith("while loading ")]
    if context:
        # "... 'my_pkg.module:MyClass', while loading ..." (not "...Class'., while")
        message = f"{(message or '(no message)').rstrip('.')}, {'; '.join(context)}"
    # the hook or the step it was raised in (the hook manager, the loops)
    where = [one_paragraph(note) for note in notes if note.startswith(_RAISED_IN)]
    if where:
        message = f"{(message or '(no message)').rstrip('.')}. {' '.join(where)}"
    # how to fix an error in the user's code (the loops' step hints): kept, not dropped
    hints = [one_paragraph(note) for note in notes if note.startswith(HINT_PREFIX)]
    if hints:
        message = f"{(message or '(no message)').rstrip('.')}. {' '.join(hints)}"
    if notes:  # a collective that lost another rank: the cause is that rank's error
        from runner_core.distributed.launch import peer_failure_note

        peer = peer_failure_note()
        if peer in notes:
            message = f"{(message or '(no message)').rstrip('.')}. {peer}"
    if isinstance(exc, (UsageError, CommandFailed, RunnerError)):
        return message or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename and exc.errno == errno.ENAMETOOLONG:
        return too_long_message(os.fsdecode(exc.filename))
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        # a log or scalar file that filled the disk (a checkpoint's save says so itself);
        # the message keeps the notes naming the hook or loader
        fix = (
            "A file reached the file-size limit: raise it (ulimit -f) or save elsewhere"
            if exc.errno == errno.EFBIG
            else "The disk or the quota is full: free disk space"
        )
        return (
            f"{message.rstrip('.')}. {fix}, and run again (a training run goes on with "
            "--resume; each checkpoint is written whole or not at all)."
        )
    if isinstance(exc, OSError) and exc.filename:
        reason = exc.strerror or message
        return (
            f"{reason}: {exc.filename!r}. Check that the path exists, is writable and that "
            "the disk has free space."
        )
    hint = "" if debug else " (run again with --debug for the traceback)"
    if not debug:
        from runner_core.logging.failure import failure_log_files

        logged = failure_log_files(exc)  # the run's log file holds the whole traceback
        if logged:
            hint = f" (the traceback is in {logged[0]}; or run again with --debug)"
    return f"unexpected {type(exc).__name__}: {message or '(no message)'}{hint}"


def too_long_message(path: str) -> str:
    """A "File name too long" (ENAMETOOLONG): which name of ``path`` is over the file
    system's limit, by how much (limits count bytes, not characters), and the fix."""
    from runner_core.fs_limits import name_limits

    name_max, path_max = name_limits(os.path.dirname(os.path.abspath(path)))
    parts = [part for part in path.replace(os.sep, "/").split("/") if part]
    over = [part for part in parts if len(os.fsencode(part)) > name_max]
    shown = path if len(path) <= 160 else f"...{path[-100:]}"
    if over:
        name = over[-1]
        which = "its last component" if name == parts[-1] else "its component"
        short = name if len(name) <= 60 else f"{name[:40]}...{name[-12:]}"
        what = (
            f"{which} {short!r} is {len(os.fsencode(name))} bytes, over this file system's "
            f"limit of {name_max} bytes per name"
        )
    else:
        what = (
            f"it is {len(os.fsencode(path))} bytes, over this file system's limit of "
            f"{path_max} bytes per path"
        )
    return (
        f"File name too long: {shown!r}: {what}. Use a shorter name: a shorter work dir "
        "(work_dir=..., CLI: --work-dir), experiment_name, config file name (the default work "
        "dir is work_dirs/<config name>) or output file name."
    )


def report(exc: BaseException, stream: TextIO | None = None, debug: bool = False) -> int:
    """Print ``exc`` as one paragraph on stderr; return the exit status for it."""
    print(f"runner-cli: error: {describe(exc, debug)}", file=stream or sys.stderr)
    return exit_status_for(exc)


#: the distributions whose warnings name the user's input, not a line of their code
_OUR_PACKAGES = ("runner_core", "runner_cli", "runner_hooks_standard", "runner_loops_standard")


def show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """``warnings.showwarning`` for the command: one line, as its errors are. Python's
    default printed the runner's own file and source line ("runner.py:392: UserWarning:
    ... self.train_loop = ..."), which says nothing to a user; another package's (torch's)
    or the user's file keeps its location."""
    parts = Path(filename).parts
    where = "" if any(name in parts for name in _OUR_PACKAGES) else f" ({filename}:{lineno})"
    kind = "" if category is UserWarning else f"{category.__name__}: "
    text = f"runner-cli: warning: {kind}{one_paragraph(str(message))}{where}\n"
    try:
        (file or sys.stderr).write(text)
    except OSError:  # a closed or broken stderr, as warnings' own printer allows
        pass
