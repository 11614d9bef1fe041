"""The work dir and the run folder inside it.

Layout::

    work_dir/
      runner.lock                the running process (pid, host, start time)
      last_checkpoint            pointer to the newest complete checkpoint
      epoch_N.pth | iter_N.pth   checkpoints
      <timestamp>/               one folder per run
        <timestamp>.log          the text log
        config.py                the resolved config of that run
        vis_data/                scalars.json and other backend output
"""

from __future__ import annotations

import errno
import os
import sys
import time
from pathlib import Path

from ..errors import RunnerError
from .work_dir_lock import acquire_work_dir_lock, release_work_dir_lock


class WorkDirError(RunnerError, OSError):
    """The work dir cannot be created or written.

    An ``OSError`` too (with the ``errno`` of the failure), as MMEngine's
    ``os.makedirs`` raises there; of its subclass too where the OS said which
    (``PermissionError``, ``NotADirectoryError``, ``FileExistsError``), so
    ``except PermissionError`` around ``Runner(work_dir=...)`` keeps catching it.
    """

    def __init__(self, message: str, errno: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno  # without strerror: str() stays the message

    def __reduce__(self) -> tuple[object, ...]:  # OSError's would rebuild from errno alone
        return (type(self), (str(self), self.errno), self.__dict__)  # notes, attributes


class WorkDirPermissionError(WorkDirError, PermissionError):
    """The work dir, or a folder above it, is not writable."""


class WorkDirNotADirectoryError(WorkDirError, NotADirectoryError):
    """A file stands where a folder of the work dir's path must be."""


class WorkDirExistsError(WorkDirError, FileExistsError):
    """The work dir's path names an existing file."""


def _work_dir_error(message: str, cause: OSError) -> WorkDirError:
    """The WorkDirError of ``cause``'s kind, carrying its errno (without strerror, so its
    text stays ``message``)."""
    kinds = (
        (PermissionError, WorkDirPermissionError),
        (NotADirectoryError, WorkDirNotADirectoryError),
        (FileExistsError, WorkDirExistsError),
    )
    kind = next((ours for theirs, ours in kinds if isinstance(cause, theirs)), WorkDirError)
    return kind(message, cause.errno)


def make_timestamp() -> str:
    """``YYYYmmdd_HHMMSS``, shared by all ranks."""
    from ..distributed.utils import broadcast_object

    return broadcast_object(time.strftime("%Y%m%d_%H%M%S", time.localtime()), src=0)


def prepare_work_dir(
    work_dir: str | Path, timestamp: str, create: bool = True
) -> tuple[Path, Path]:
    """Create ``work_dir`` and its run folder; return both.

    A folder that cannot be created or written gets one clear error before
    anything starts, instead of a failure at the first checkpoint. The work
    dir's lock is taken first (one run per work dir, see ``work_dir_lock``; the
    caller owns that hold: ``WorkDirHold(work, held=True)`` gives it back), and
    the run folder is new: ``<timestamp>_1`` when a run started in the same
    second already has ``<timestamp>``. Its name is the run's timestamp.
    """
    from ..distributed.utils import broadcast_object

    check_work_dir_name(work_dir)
    work = Path(work_dir).expanduser().resolve()
    if not create:  # other ranks: rank 0 picks the run folder
        return work, work / broadcast_object(timestamp, src=0)
    locked = False
    try:
        acquire_work_dir_lock(work)  # before anything is written: one run per work dir
        locked = True
        run = _new_run_folder(work, timestamp)
        probe = run / f".write-test-{os.getpid()}"
        with open(probe, "w") as fh:
            fh.write("ok")
        probe.unlink()
    except OSError as exc:
        if locked:
            release_work_dir_lock(work)
        if exc.errno == errno.ENAMETOOLONG:
            message = _too_long_message(work, timestamp)
        elif work.exists() and not work.is_dir():
            message = (
                f"The work dir {str(work)!r} is a file, not a folder. Logs and checkpoints go "
                f"in a folder there: pass another path with work_dir=... (CLI: --work-dir), or "
                "move the file away."
            )
        else:
            fix = {
                errno.ENOSPC: ", or free some space",
                errno.EDQUOT: ", or free some of your quota",
                errno.ENOTDIR: " (a part of its path is a file, not a folder)",
            }.get(exc.errno or 0, "")
            message = (
                f"The work dir {str(work)!r} is not writable ({exc.strerror or exc}). Logs and "
                f"checkpoints go there: pass a writable folder with work_dir=... (CLI: "
                f"--work-dir){fix}."
            )
        raise _work_dir_error(message, exc) from exc
    return work, work / broadcast_object(run.name, src=0)


def _new_run_folder(work: Path, timestamp: str) -> Path:
    """``work/timestamp``, or ``timestamp_1``, ``_2``, ... when a run of the same second has it."""
    work.mkdir(parents=True, exist_ok=True)
    for n in range(1000):
        run = work / (timestamp if n == 0 else f"{timestamp}_{n}")
        try:
            run.mkdir()
        except FileExistsError:
            continue
        return run
    raise FileExistsError(f"{work / timestamp}_999 exists: too many runs in one second")


def check_work_dir_name(work_dir: str | Path) -> None:
    """Refuse, before anything runs, a work dir whose name the run could not write down.

    The log, the config dump and the ``last_checkpoint`` pointer hold the path
    as one line of UTF-8 text, so the first checkpoint would fail (after a
    whole epoch) on a name with a line break, a tab or another control
    character, or one this Python cannot encode: under a non-UTF-8 locale
    (``LANG=C`` with locale coercion off) a non-ASCII name from the command line
    arrives as undecodable bytes, and one given in Python cannot be encoded for
    the file system (MMEngine fails with a ``UnicodeEncodeError`` at the first
    checkpoint).
    """
    text = os.path.abspath(os.path.expanduser(str(work_dir)))
    control = sorted({c for c in text if ord(c) < 32 or ord(c) == 127})
    if control:
        raise WorkDirError(
            f"The work dir {text!r} has a control character ({', '.join(map(repr, control))}) "
            "in its name: the last_checkpoint pointer holds the path as one line of text, so "
            "the first checkpoint would fail. Choose a name without line breaks and tabs "
            "(check the quoting of work_dir=... or --work-dir)."
        )
    try:
        os.fsencode(text)
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise WorkDirError(
            f"The work dir {text!r} has characters this Python cannot write as file names and "
            f"text (file system encoding {sys.getfilesystemencoding()!r}): its log and "
            "checkpoint pointer would fail at the first checkpoint. Run under a UTF-8 locale "
            "(export LANG=C.UTF-8, or PYTHONUTF8=1), or use an ASCII work dir."
        ) from None


def _too_long_message(work: Path, timestamp: str) -> str:
    """Which name of ``work`` is over the file system's limit, in bytes (what limits count)."""
    from ..fs_limits import name_limits

    name_max, path_max = name_limits(work)
    longest = max(work.parts[1:] or ("",), key=lambda part: len(os.fsencode(part)))
    if len(os.fsencode(longest)) > name_max:
        what = (
            f"its folder name {longest[:40]!r}... is {len(os.fsencode(longest))} bytes "
            f"(UTF-8), over the limit of {name_max} bytes per name"
        )
    else:  # the whole path: the run folder and its log add about 40 bytes
        inner = f"{timestamp}_1/{timestamp}_1.log"
        what = (
            f"its path is {len(os.fsencode(str(work)))} bytes (UTF-8), and with the "
            f"{len(inner) + 1} bytes of the run folder and log inside it, over the limit of "
            f"{path_max} bytes per path"
        )
    shown = str(work) if len(str(work)) <= 200 else f"...{str(work)[-120:]}"
    return (
        f"The work dir {shown!r} cannot be created: {what}. Choose a shorter work dir "
        f"(work_dir=..., CLI: --work-dir), or a config file with a shorter name."
    )
