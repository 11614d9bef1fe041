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

import os
import time
from pathlib import Path

from ..errors import RunnerError
from .work_dir_lock import acquire_work_dir_lock, release_work_dir_lock


class WorkDirError(RunnerError, OSError):
    """The work dir cannot be created or written.

    An ``OSError`` too (with the ``errno`` of the failure), as MMEngine's
    ``os.makedirs`` raises there.
    """


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
        error = WorkDirError(
            f"The work dir {str(work)!r} is not writable ({exc.strerror or exc}). Logs and "
            f"checkpoints go there: pass a writable folder with work_dir=... (CLI: --work-dir), "
            f"or free some space."
        )
        error.errno = exc.errno  # without strerror, str() stays the message above
        raise error from exc
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
