"""Checkpoint locations that are URLs: refused, with the way to use them.

MMEngine's ``CheckpointLoader`` downloads ``https://``, ``torchvision://``,
``open-mmlab://``, ``s3://`` (...) checkpoints while a run starts. Runner never
downloads at run time (a run must not depend on the network, nor load a file
nobody looked at): such a location is refused before ``pathlib`` folds its
``//`` into a misleading local path. No torch import, so config checks can
use it.
"""

from __future__ import annotations

import os
import re
from typing import Any

__all__ = ["remote_checkpoint_message", "url_scheme"]

# ``scheme://``, also MMEngine's ``name:s3://`` (petrel) form; a Windows drive (``C:\``) is not
_URL = re.compile(r"^(?:[\w.+-]+:)?(?P<scheme>[A-Za-z][\w.+-]+)://")


def url_scheme(location: Any) -> str | None:
    """The scheme of a checkpoint location that is a URL (``'https'``), else None."""
    if not isinstance(location, (str, os.PathLike)):
        return None
    match = _URL.match(os.fspath(location))
    return match["scheme"] if match else None


def remote_checkpoint_message(location: Any, what: str = "Checkpoint") -> str:
    """Why a URL cannot be loaded and what to do instead (``what``: the option at fault)."""
    return (
        f"{what} {os.fspath(location)!r} is a URL ({url_scheme(location)}://): runner never "
        "downloads checkpoints at run time (there is no CheckpointLoader and no URL schemes, "
        "unlike MMEngine). Download the file once (e.g. with wget or "
        "torch.hub.download_url_to_file) and pass its local path."
    )
