"""Checkpoint I/O: atomic save, verified and safe load, finding, pruning, loading into a model.

API (all failures raise :class:`CheckpointError`, naming the file and the fix; a write the
OS refused raises :class:`CheckpointWriteError`, an ``OSError`` with its ``errno`` too; a
missing file, an empty one, a truncated one, one that is no checkpoint and a pickle
needing a missing module raise :class:`CheckpointNotFoundError`,
:class:`CheckpointEOFError`, :class:`CheckpointCorruptError`,
:class:`CheckpointUnpicklingError` and :class:`CheckpointModuleNotFoundError`, also the
``FileNotFoundError``, ``EOFError``, ``OSError``, ``pickle.UnpicklingError`` and
``ModuleNotFoundError`` MMEngine's loading raises):

* ``save_checkpoint(checkpoint, filename, file_client_args=None, backend_args=None, *,
  fsync=True) -> Path``: atomic, durable (``atomic.py``)
* ``load_checkpoint(path, *, map_location='cpu', allow_pickle=False, verify=True) -> dict``
  (``safe_load.py``); a URL is read through the storage backend registered for its prefix,
  else refused, never downloaded (``storage.py``, ``remote.py``)
* ``RemotePath``: a checkpoint location on a registered storage backend, which
  ``save_checkpoint`` returns for a URL or for ``backend_args`` naming a backend (``storage.py``)
* ``verify_checkpoint(path) -> int``: check the archive's CRC-32s (``integrity.py``)
* ``to_safe(obj)`` / ``find_unsafe(obj)``: plain data for ``weights_only`` loading
  (``plain_data.py``)
* ``cleanup_orphaned_temp_files(folder) -> list[Path]``
* ``BackgroundWriter`` / ``wait_for_writes()``: saves written in a background thread
  (``background.py``)
* ``hold_ctrl_c()``: a Ctrl-C during a save stops the run after it (``interrupts.py``)
* ``write_pointer(work_dir, path)`` / ``read_pointer(work_dir)`` /
  ``read_pointer_location(work_dir)``: ``last_checkpoint`` (``find.py``)
* ``find_latest_checkpoint(path) -> str | None`` (``path``: the work dir), ``list_checkpoints(folder)``
* ``prune_checkpoints(folder, max_keep_ckpts, *, work_dir=None, protect=())``
* ``load_model_state(model, state_dict, *, strict=False, revise_keys=..., logger=None)
  -> LoadReport`` (``state.py``)
* MMEngine's ``get_state_dict``, ``weights_to_cpu``, ``load_state_dict`` and
  ``load_checkpoint(model, filename, ...)`` (``model_io.py``)

Importing this package is cheap (only the error class); the functions, which
need torch, are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runner_core.checkpoint.errors import (
    CheckpointAssertionError,
    CheckpointCorruptError,
    CheckpointEOFError,
    CheckpointError,
    CheckpointFormatError,
    CheckpointKeyError,
    CheckpointModuleNotFoundError,
    CheckpointNotFoundError,
    CheckpointPermissionError,
    CheckpointUnpicklingError,
    CheckpointValueError,
    CheckpointWriteError,
)
from runner_core.lazy import lazy_exports

_LAZY = {
    "save_checkpoint": ".atomic",
    "load_checkpoint": ".safe_load",
    "verify_checkpoint": ".integrity",
    "to_safe": ".plain_data",
    "find_unsafe": ".plain_data",
    "cleanup_orphaned_temp_files": ".atomic",
    "write_bytes_atomic": ".atomic",
    "TEMP_FILE_PATTERN": ".atomic",
    "write_pointer": ".find",
    "read_pointer": ".find",
    "read_pointer_location": ".find",
    "RemotePath": ".storage",
    "find_latest_checkpoint": ".find",
    "list_checkpoints": ".find",
    "prune_checkpoints": ".find",
    "POINTER_NAME": ".find",
    "load_model_state": ".state",
    "LoadReport": ".state",
    "unwrap_model": ".state",
    "hold_ctrl_c": ".interrupts",
    "BackgroundWriter": ".background",
    "wait_for_writes": ".background",
    "get_state_dict": ".model_io",
    "weights_to_cpu": ".model_io",
    "load_state_dict": ".model_io",
}

__all__ = [  # literal, so linters see the lazy names as exported
    "BackgroundWriter",
    "POINTER_NAME",
    "RemotePath",
    "TEMP_FILE_PATTERN",
    "CheckpointCorruptError",
    "CheckpointEOFError",
    "CheckpointError",
    "CheckpointFormatError",
    "CheckpointKeyError",
    "CheckpointModuleNotFoundError",
    "CheckpointNotFoundError",
    "CheckpointPermissionError",
    "CheckpointUnpicklingError",
    "CheckpointValueError",
    "CheckpointAssertionError",
    "CheckpointWriteError",
    "LoadReport",
    "cleanup_orphaned_temp_files",
    "find_latest_checkpoint",
    "find_unsafe",
    "get_state_dict",
    "hold_ctrl_c",
    "list_checkpoints",
    "load_checkpoint",
    "load_model_state",
    "load_state_dict",
    "prune_checkpoints",
    "read_pointer",
    "read_pointer_location",
    "save_checkpoint",
    "to_safe",
    "unwrap_model",
    "verify_checkpoint",
    "wait_for_writes",
    "weights_to_cpu",
    "write_bytes_atomic",
    "write_pointer",
]
_ERRORS = {
    "CheckpointCorruptError",
    "CheckpointEOFError",
    "CheckpointError",
    "CheckpointFormatError",
    "CheckpointKeyError",
    "CheckpointModuleNotFoundError",
    "CheckpointNotFoundError",
    "CheckpointPermissionError",
    "CheckpointUnpicklingError",
    "CheckpointValueError",
    "CheckpointAssertionError",
    "CheckpointWriteError",
}
assert set(__all__) == {*_ERRORS, *_LAZY}


def _load_checkpoint_to_model(*args: Any, **kwargs: Any) -> Any:
    """MMEngine's private ``mmengine.runner.checkpoint._load_checkpoint_to_model``, which
    mmdet's and mmseg's inferencers import: ``model_io``'s, imported with torch on first use
    (this module's public names are lazy for the same reason)."""
    from .model_io import _load_checkpoint_to_model as load

    return load(*args, **kwargs)


def _load_checkpoint(*args: Any, **kwargs: Any) -> Any:
    """MMEngine's private ``_load_checkpoint(filename, map_location=None, logger=None)``."""
    from .model_io import _load_checkpoint as load

    return load(*args, **kwargs)


def _load_checkpoint_with_prefix(*args: Any, **kwargs: Any) -> Any:
    """MMEngine's private ``_load_checkpoint_with_prefix(prefix, filename, map_location=None)``,
    which mmagic's and mmdet3d's code imports."""
    from .model_io import _load_checkpoint_with_prefix as load

    return load(*args, **kwargs)


if TYPE_CHECKING:  # pragma: no cover
    from runner_core.checkpoint.atomic import (
        TEMP_FILE_PATTERN,
        cleanup_orphaned_temp_files,
        save_checkpoint,
        write_bytes_atomic,
    )
    from runner_core.checkpoint.background import BackgroundWriter, wait_for_writes
    from runner_core.checkpoint.find import (
        POINTER_NAME,
        find_latest_checkpoint,
        list_checkpoints,
        prune_checkpoints,
        read_pointer,
        read_pointer_location,
        write_pointer,
    )
    from runner_core.checkpoint.integrity import verify_checkpoint
    from runner_core.checkpoint.interrupts import hold_ctrl_c
    from runner_core.checkpoint.model_io import get_state_dict, load_state_dict, weights_to_cpu
    from runner_core.checkpoint.plain_data import find_unsafe, to_safe
    from runner_core.checkpoint.safe_load import load_checkpoint
    from runner_core.checkpoint.state import LoadReport, load_model_state, unwrap_model
    from runner_core.checkpoint.storage import RemotePath
else:
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
