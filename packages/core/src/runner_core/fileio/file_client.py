"""``FileClient``: MMEngine's older, deprecated way to pick a storage backend.

Old OpenMMLab code builds ``FileClient(backend='disk')`` or
``FileClient.infer_client(file_client_args, uri)`` and calls ``client.get``.
As MMEngine's, it keeps its own registry (``disk``, ``lmdb``, and the remote
backends runner has as names only), returns one instance per arguments, and
warns that it is deprecated: once per process here, not on every call (old
transforms build one per image).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from .backends import BaseStorageBackend, HardDiskBackend, require_concrete
from .errors import BackendNameError, BackendUnavailableError, FileArgumentError
from .lmdb_backend import LmdbBackend
from .registry import (
    _check_registration,
    _placeholder_error,
    _url_refusal,
    parse_uri_prefix,
    prefix_to_backends,
)
from .remote import HTTPBackend, MemcachedBackend, PetrelBackend, is_placeholder, refusal

__all__ = ["FileClient"]

_DEPRECATION = (
    '"FileClient" will be deprecated in future. Please use io functions in '
    "https://mmengine.readthedocs.io/en/latest/api/fileio.html#file-io"
)


def _not_for_file_client(prefix: str) -> str:
    """The fix when ``register_backend`` (not ``FileClient.register_backend``) serves ``prefix``
    (people register there, as the docs say, and then old code reads through FileClient)."""
    other = prefix_to_backends.get(prefix)
    if other is None or is_placeholder(other):
        return ""
    return (
        f" {other.__name__} serves {prefix}:// for get_file_backend and the fileio functions "
        "(it was registered with register_backend), but FileClient keeps its own registry, as "
        f"in MMEngine: read with fileio.get(path, backend_args=...) instead, or also call "
        f"FileClient.register_backend({prefix!r}, {other.__name__}, prefixes={prefix!r}, "
        "force=True)."
    )


class FileClient:
    """A storage backend chosen by name (``backend``) or URI prefix (``prefix``); disk if neither.

    ``backend`` wins when both are given; other keyword arguments go to the
    backend. The same arguments give the same object. ``client`` is the
    backend; the methods delegate to it.
    """

    _backends: ClassVar[dict[str, type[BaseStorageBackend]]] = {
        "disk": HardDiskBackend,
        "memcached": MemcachedBackend,
        "lmdb": LmdbBackend,
        "petrel": PetrelBackend,
        "http": HTTPBackend,
    }
    _prefix_to_backends: ClassVar[dict[str, type[BaseStorageBackend]]] = {
        "s3": PetrelBackend,
        "petrel": PetrelBackend,
        "http": HTTPBackend,
        "https": HTTPBackend,
    }
    _instances: ClassVar[dict[str, FileClient]] = {}
    _warned: ClassVar[bool] = False

    client: Any

    def __new__(cls, backend: str | None = None, prefix: str | None = None, **kwargs: Any) -> Any:
        if not FileClient._warned:
            from ..logging import print_log

            FileClient._warned = True
            print_log(_DEPRECATION, logger="current", level=logging.WARNING)
        if backend is None and prefix is None:
            backend = "disk"
        if backend is not None and backend not in cls._backends:
            raise BackendNameError(
                f"Backend {backend} is not supported. Currently supported ones are "
                f"{list(cls._backends)}: register it with FileClient.register_backend"
                f"({backend!r}, YourBackend), or use backend='disk' for local files."
            )
        if prefix is not None and prefix not in cls._prefix_to_backends:
            raise BackendNameError(
                f"prefix {prefix} is not supported. Currently supported ones are "
                f"{list(cls._prefix_to_backends)}: register a backend for it with "
                f"FileClient.register_backend(name, YourBackend, prefixes={prefix!r})."
            )
        arg_key = f"{backend}:{prefix}" + "".join(f":{k}:{v}" for k, v in kwargs.items())
        instance = cls._instances.get(arg_key)
        if instance is None:
            backend_cls = (
                cls._backends[backend] if backend is not None else cls._prefix_to_backends[prefix]  # type: ignore[index]
            )
            if is_placeholder(backend_cls):
                label = f"FileClient(backend={backend!r})" if backend else f"prefix={prefix!r}"
                raise BackendUnavailableError(refusal(backend_cls, backend or prefix, f"{label} "))
            require_concrete(backend_cls, f"FileClient(backend={backend!r}, prefix={prefix!r})")
            instance = super().__new__(cls)
            instance.client = backend_cls(**kwargs)
            cls._instances[arg_key] = instance
        return instance

    @property
    def name(self) -> str:
        """The backend's class name."""
        return self.client.name

    @property
    def allow_symlink(self) -> bool:
        """Whether the backend can symlink."""
        return self.client.allow_symlink

    @staticmethod
    def parse_uri_prefix(uri: str | Path) -> str | None:
        """The prefix of ``uri`` (``'s3'`` for ``s3://...``, ``cluster:s3://...``); None if plain."""
        prefix = parse_uri_prefix(uri)
        return prefix if "://" in str(uri) else None

    @classmethod
    def infer_client(
        cls, file_client_args: dict[str, Any] | None = None, uri: str | Path | None = None
    ) -> FileClient:
        """``FileClient(**file_client_args)``, or without them the client for ``uri``'s prefix.

        A prefix FileClient does not know raises BackendNameError (a ValueError, as
        MMEngine's); one it has as a name only raises what MMEngine's backend would (an
        ImportError for ``s3``, a URLError for ``http``).
        """
        if file_client_args is not None:
            name: Any = file_client_args.get("backend")
            if name is not None:
                chosen = cls._backends.get(name)
            else:
                name = file_client_args.get("prefix")
                chosen = cls._prefix_to_backends.get(name) if name is not None else None
            if chosen is not None and is_placeholder(chosen):
                where = f"file_client_args={file_client_args!r}" + (
                    f" for {os.fspath(uri)!r} " if uri is not None else " "
                )
                raise BackendUnavailableError(refusal(chosen, name, where))
            return cls(**file_client_args)
        if uri is None:  # file_client_args is None too
            raise FileArgumentError(
                "FileClient.infer_client needs file_client_args or uri: pass the path to read."
            )
        prefix = cls.parse_uri_prefix(uri)
        if prefix is not None:
            served = cls._prefix_to_backends.get(prefix)
            if served is None:  # MMEngine: FileClient(prefix=...) raises ValueError
                raise BackendNameError(
                    f"prefix {prefix} is not supported. Currently supported ones are "
                    f"{list(cls._prefix_to_backends)} (FileClient.infer_client for "
                    f"{os.fspath(uri)!r})."
                    + (
                        _not_for_file_client(prefix)
                        or " Register a backend for it with FileClient.register_backend(name, "
                        f"YourBackend, prefixes={prefix!r})."
                    )
                )
            if is_placeholder(served):
                elsewhere = _not_for_file_client(prefix)
                if not elsewhere:
                    raise _url_refusal(uri, prefix)
                raise _placeholder_error(served)(
                    f"{os.fspath(uri)!r} is a URL ({prefix}://) that FileClient reads with "
                    f"{served.__name__}, which runner_core provides as a name only (runner never "
                    f"downloads at run time).{elsewhere}"
                )
        return cls(prefix=prefix)

    @classmethod
    def register_backend(
        cls,
        name: str,
        backend: type[BaseStorageBackend] | None = None,
        force: bool = False,
        prefixes: str | list[str] | tuple[str, ...] | None = None,
    ) -> Any:
        """Register a backend class with FileClient (not with ``get_file_backend``), as MMEngine.

        Works as a call or a class decorator; a taken name or prefix raises
        unless ``force=True`` (or it holds a remote backend runner has as a
        name only). Cached clients of a replaced backend are dropped.
        """
        if backend is not None:
            cls._register_backend(name, backend, force=force, prefixes=prefixes)
            return None

        def decorate(backend_cls: type[BaseStorageBackend]) -> type[BaseStorageBackend]:
            cls._register_backend(name, backend_cls, force=force, prefixes=prefixes)
            return backend_cls

        return decorate

    @classmethod
    def _register_backend(
        cls, name: str, backend: Any, force: bool = False, prefixes: Any = None
    ) -> None:
        prefix_list = _check_registration(
            name, backend, prefixes, force, cls._backends, cls._prefix_to_backends
        )
        replaced = [cls._backends[name]] if name in cls._backends else []
        replaced += [
            cls._prefix_to_backends[p] for p in prefix_list if p in cls._prefix_to_backends
        ]
        for arg_key, instance in list(cls._instances.items()):
            if any(isinstance(instance.client, old) for old in replaced):
                del cls._instances[arg_key]
        cls._backends[name] = backend
        for prefix in prefix_list:
            cls._prefix_to_backends[prefix] = backend

    def get(self, filepath: str | Path) -> Any:
        """The bytes at ``filepath`` (a ``memoryview`` from some backends)."""
        return self.client.get(filepath)

    def get_text(self, filepath: str | Path, encoding: str = "utf-8") -> str:
        """The text at ``filepath``."""
        return self.client.get_text(filepath, encoding)

    def put(self, obj: bytes, filepath: str | Path) -> None:
        """Write ``obj`` to ``filepath``."""
        self.client.put(obj, filepath)

    def put_text(self, obj: str, filepath: str | Path) -> None:
        """Write the text ``obj`` to ``filepath``."""
        self.client.put_text(obj, filepath)

    def remove(self, filepath: str | Path) -> None:
        """Delete the file ``filepath``."""
        self.client.remove(filepath)

    def exists(self, filepath: str | Path) -> bool:
        """Whether ``filepath`` exists."""
        return self.client.exists(filepath)

    def isdir(self, filepath: str | Path) -> bool:
        """Whether ``filepath`` is a folder."""
        return self.client.isdir(filepath)

    def isfile(self, filepath: str | Path) -> bool:
        """Whether ``filepath`` is a file."""
        return self.client.isfile(filepath)

    def join_path(self, filepath: str | Path, *filepaths: str | Path) -> str:
        """The parts joined by the backend."""
        return self.client.join_path(filepath, *filepaths)

    @contextmanager
    def get_local_path(self, filepath: str | Path) -> Generator[Any, None, None]:
        """``with client.get_local_path(p) as path:``: a local file for ``p``."""
        with self.client.get_local_path(str(filepath)) as local_path:
            yield local_path

    def list_dir_or_file(
        self,
        dir_path: str | Path,
        list_dir: bool = True,
        list_file: bool = True,
        suffix: str | tuple[str, ...] | None = None,
        recursive: bool = False,
    ) -> Iterator[str]:
        """Yield the folders and/or files under ``dir_path``, relative to it."""
        yield from self.client.list_dir_or_file(dir_path, list_dir, list_file, suffix, recursive)
