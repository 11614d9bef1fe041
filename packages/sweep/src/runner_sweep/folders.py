"""Folder names the sweep makes from user input, kept within the file system's limit.

A file name may have at most ``NAME_MAX`` bytes (255 on ext4, APFS, NTFS,
143 on eCryptfs). The default sweep folder adds ``-sweep`` to the config's
name, so a config whose name is near the limit made a folder name over it,
and the sweep died on a bare "File name too long". MMEngine and Lightning
derive their default folders from names that already fit (the config's stem,
``version_N``); the sweep keeps that promise by shortening its own suffixed
name, the same way every time (so running the command again continues the
same study) and with a hash of the full name (so two long names sharing a
prefix still get two folders). A name the user typed (``--study``) is not
rewritten: a name that is too long is an input error saying so.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from runner_core.fs_limits import DEFAULT_NAME_MAX, name_limits

#: hex digits of the full name's hash kept in a shortened name
HASH_DIGITS = 8


def name_max(folder: Path) -> int:
    """The most bytes a file name in ``folder`` may have (asked of its nearest existing
    parent's file system; :data:`DEFAULT_NAME_MAX` where that cannot be asked)."""
    found = name_limits(folder)[0]
    return found if found > 0 else DEFAULT_NAME_MAX


def name_bytes(name: str) -> int:
    """The length of ``name`` as the file system counts it."""
    return len(os.fsencode(name))


def fit_name(base: str, suffix: str, limit: int) -> str:
    """``base + suffix`` if it has at most ``limit`` bytes; else ``base`` cut short, then
    ``-`` and the first hex digits of the SHA-256 of ``base``, then ``suffix``."""
    if name_bytes(base + suffix) <= limit:
        return base + suffix
    digest = hashlib.sha256(os.fsencode(base)).hexdigest()[:HASH_DIGITS]
    tail = f"-{digest}{suffix}"
    room = max(limit - name_bytes(tail), 0)
    # cut by bytes, never inside a multi-byte character
    head = os.fsencode(base)[:room].decode("utf-8", errors="ignore").rstrip("-. ")
    return head + tail


def default_sweep_dir(config: str) -> Path:
    """``<work_dir_root>/<config name>-sweep``, the name shortened (:func:`fit_name`)
    when it would be too long for the file system."""
    from runner_core.project import default_work_dir

    stem = Path(config).stem
    wanted = default_work_dir(config, f"{stem}-sweep")
    return wanted.parent / fit_name(stem, "-sweep", name_max(wanted.parent))
