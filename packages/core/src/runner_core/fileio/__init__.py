"""What OpenMMLab code imports from ``mmengine.fileio``: MMEngine 0.10.7's names and arguments.

``load``/``dump`` (json, yaml/yml, pickle/pkl, and formats added with
``register_handler``), ``list_from_file``/``dict_from_file`` and the file
functions (``get``, ``put``, ``exists``, ``join_path``, ``get_local_path``,
``copyfile``, ``remove``, ...) read and write through the storage backend
``get_file_backend`` picks for the path: the local disk for plain paths, a
user's backend (``register_backend``) for its prefix or name. ``FileClient``
is there for old code. Runner never downloads at run time: the remote
backends (``HTTPBackend``, ``PetrelBackend``, ``MemcachedBackend``) exist as
names only, and a URL nothing serves raises :class:`RemoteFileError` (for
``s3://``/``petrel://``, :class:`RemoteBackendUnavailableError`, an ImportError
as MMEngine's);
``LmdbBackend`` works with ``pip install lmdb``. Nothing here imports torch
or numpy.
"""

from __future__ import annotations

from .backends import BaseStorageBackend, HardDiskBackend, LocalBackend
from .errors import (
    BackendNameError,
    BackendUnavailableError,
    FileArgumentError,
    FileBackendError,
    FileContentError,
    FileFormatError,
    FileIOError,
    MissingFormatError,
    RemoteBackendUnavailableError,
    RemoteFileError,
    UnreachableURLError,
    UnregisteredPrefixError,
    UnsupportedOperationError,
)
from .file_client import FileClient
from .handlers import BaseFileHandler, JsonHandler, PickleHandler, YamlHandler, register_handler
from .io import dump, load
from .lmdb_backend import LmdbBackend
from .local import (
    copy_if_symlink_fails,
    copyfile,
    copyfile_from_local,
    copyfile_to_local,
    copytree,
    copytree_from_local,
    copytree_to_local,
    exists,
    generate_presigned_url,
    get,
    get_local_path,
    get_text,
    isdir,
    isfile,
    join_path,
    list_dir_or_file,
    put,
    put_text,
    remove,
    rmtree,
)
from .parse import dict_from_file, list_from_file
from .registry import get_file_backend, register_backend
from .remote import HTTPBackend, MemcachedBackend, PetrelBackend

__all__ = [
    "BackendNameError",
    "BackendUnavailableError",
    "BaseFileHandler",
    "BaseStorageBackend",
    "FileArgumentError",
    "FileBackendError",
    "FileClient",
    "FileContentError",
    "FileFormatError",
    "FileIOError",
    "HTTPBackend",
    "HardDiskBackend",
    "JsonHandler",
    "LmdbBackend",
    "LocalBackend",
    "MemcachedBackend",
    "MissingFormatError",
    "PetrelBackend",
    "PickleHandler",
    "RemoteBackendUnavailableError",
    "RemoteFileError",
    "UnreachableURLError",
    "UnregisteredPrefixError",
    "UnsupportedOperationError",
    "YamlHandler",
    "copy_if_symlink_fails",
    "copyfile",
    "copyfile_from_local",
    "copyfile_to_local",
    "copytree",
    "copytree_from_local",
    "copytree_to_local",
    "dict_from_file",
    "dump",
    "exists",
    "generate_presigned_url",
    "get",
    "get_file_backend",
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
    "register_backend",
    "register_handler",
    "remove",
    "rmtree",
]
