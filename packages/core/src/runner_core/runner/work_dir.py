"""The work dir and the run folder inside it.

Layout::

    work_dir/
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


def make_timestamp() -> str:
    """``YYYYmmdd_HHMMSS``, shared by all ranks."""
    from ..distributed.utils import broadcast_object

    return broadcast_object(time.strftime("%Y%m%d_%H%M%S", time.localtime()), src=0)


def prepare_work_dir(
    work_dir: str | Path, timestamp: str, create: bool = True
) -> tuple[Path, Path]:
    """Create ``work_dir`` and its run folder; return both.

    A folder that cannot be created or written gets one clear error before
    anything starts, instead of a failure at the first checkpoint.
    """
    work = Path(work_dir).expanduser().resolve()
    run = work / timestamp
    if not create:
        return work, run
    try:
        run.mkdir(parents=True, exist_ok=True)
        probe = run / f".write-test-{os.getpid()}"
        with open(probe, "w") as fh:
            fh.write("ok")
        probe.unlink()
    except OSError as exc:
        raise RunnerError(
            f"The work dir {str(work)!r} is not writable ({exc.strerror or exc}). Logs and "
            f"checkpoints go there: pass a writable folder with work_dir=... (CLI: --work-dir), "
            f"or free some space."
        ) from exc
    return work, run
