"""What OpenMMLab code imports from ``mmengine.fileio``, for local files only.

``load``/``dump`` (json, yaml/yml, pickle/pkl), ``list_from_file``/``dict_from_file``
and the backend functions (``get``, ``put``, ``exists``, ``join_path``,
``get_local_path``, ...) take MMEngine 0.10.7's arguments. ``backend_args`` and
``file_client_args`` are accepted; a URL or a non-local backend raises
:class:`RemoteFileError` / :class:`FileBackendError`: runner never downloads at
run time. Nothing here imports torch or numpy.
"""

from __future__ import annotations

from .errors import (
    FileBackendError,
    FileContentError,
    FileFormatError,
    FileIOError,
    MissingFormatError,
    RemoteFileError,
)
from .io import dump, load
from .local import (
    exists,
    get,
    get_local_path,
    get_text,
    isdir,
    isfile,
    join_path,
    list_dir_or_file,
    put,
    put_text,
)
from .parse import dict_from_file, list_from_file

__all__ = [
    "FileBackendError",
    "FileContentError",
    "FileFormatError",
    "FileIOError",
    "MissingFormatError",
    "RemoteFileError",
    "dict_from_file",
    "dump",
    "exists",
    "get",
    "get_local_path",
    "get_text",
    "isdir",
    "isfile",
    "join_path",
    "list_dir_or_file",
    "list_from_file",
    "load",
    "put",
    "put_text",
]
