"""How long a file name and a path may be on the file system a folder is, or would be, on.

Checkpoint temp names, a work dir that cannot be made, a sweep's folders and
the CLI's "File name too long" message all ask it: the limits count bytes,
differ between file systems (255 per name on most, 143 on eCryptfs), and
Windows has no ``os.pathconf`` to ask.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DEFAULT_NAME_MAX", "DEFAULT_PATH_MAX", "name_limits"]

#: bytes per name and per path where the file system cannot be asked (Windows)
DEFAULT_NAME_MAX = 255
DEFAULT_PATH_MAX = 4096


def name_limits(folder: str | Path) -> tuple[int, int]:
    """``(bytes per name, bytes per path)`` of ``folder``'s file system, asked of its
    nearest existing folder; :data:`DEFAULT_NAME_MAX` and :data:`DEFAULT_PATH_MAX`
    where that cannot be asked. The values are the system's answer as given (a caller
    decides what an answer of -1 or 0, "no limit", means to it)."""
    probe = os.path.abspath(folder)
    while not os.path.isdir(probe) and probe != os.path.dirname(probe):
        probe = os.path.dirname(probe)
    try:
        return os.pathconf(probe, "PC_NAME_MAX"), os.pathconf(probe, "PC_PATH_MAX")
    except (AttributeError, OSError, ValueError):  # no pathconf (Windows), or no answer
        return DEFAULT_NAME_MAX, DEFAULT_PATH_MAX
