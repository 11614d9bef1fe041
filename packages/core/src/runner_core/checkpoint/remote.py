"""Checkpoint locations that are URLs: which ones, and why one nobody serves is refused.

MMEngine's ``CheckpointLoader`` downloads ``https://``, ``torchvision://``,
``open-mmlab://``, ``s3://`` (...) checkpoints while a run starts. Runner never
downloads by itself (a run must not depend on the network, nor load a file
nobody looked at): a URL is read and written only through a storage backend
the user registered (``runner_core.fileio.register_backend``, see
:mod:`.storage`); any other is refused before ``pathlib`` folds its ``//``
into a misleading local path. No torch import, so config checks can use it.
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


# MMEngine's schemes that name a model in a zoo rather than a place to read from
_ZOO_SCHEMES = {"open-mmlab", "openmmlab", "mmcls"}


def _zoo_message(location: str, scheme: str, what: str) -> str | None:
    """For ``torchvision://name`` and OpenMMLab's zoo names: where the weights come from."""
    name = location.split("://", 1)[1]
    head = (
        f"{what} {location!r} is a URL ({scheme}://) that MMEngine resolves and downloads while "
        "the run starts; runner never downloads by itself, and no storage backend you "
        "registered serves that prefix."
    )
    if scheme == "torchvision":
        return (
            f"{head} It names torchvision's {name} weights: fetch them once, e.g. torch.save("
            f"torchvision.models.get_model_weights({name!r}).DEFAULT.get_state_dict(), "
            f"'{name}.pth') (torchvision's cache, ~/.cache/torch/hub/checkpoints, may hold the "
            "file already), and give that file's local path instead."
        )
    if scheme in _ZOO_SCHEMES:
        return (
            f"{head} It names {name!r} in OpenMMLab's model zoo: download the file the zoo "
            "lists for that name once (wget) and give its local path instead."
        )
    return None


def remote_checkpoint_message(location: Any, what: str = "Checkpoint") -> str:
    """Why a URL cannot be loaded and what to do instead (``what``: the option at fault)."""
    scheme = url_scheme(location)
    zoo = _zoo_message(os.fspath(location), scheme or "", what)
    if zoo is not None:
        return zoo
    return (
        f"{what} {os.fspath(location)!r} is a URL ({scheme}://): runner never "
        "downloads checkpoints by itself (there is no CheckpointLoader and no URL schemes, "
        "unlike MMEngine), and no storage backend you registered serves that prefix. Download "
        "the file once (e.g. with wget or torch.hub.download_url_to_file) and pass its local "
        "path, or register a backend for your storage: "
        f"runner_core.fileio.register_backend('my{scheme}', YourBackend, prefixes={scheme!r})."
    )
