"""MMEngine's remote storage backends, as names only: runner never downloads at run time.

``HTTPBackend``, ``PetrelBackend`` and ``MemcachedBackend`` exist so that code
importing them, or checking ``isinstance(backend, PetrelBackend)``, keeps
working; building one (directly, through ``backend_args`` or ``FileClient``)
raises :class:`~runner_core.fileio.BackendUnavailableError` saying to download
the data and pass a local path, or to register a backend of one's own. A URL
read through the ``fileio`` functions raises
:class:`~runner_core.fileio.RemoteFileError` before any of them is built.
"""

from __future__ import annotations

from typing import Any, NoReturn

from .backends import BaseStorageBackend
from .errors import BackendUnavailableError

__all__ = ["HTTPBackend", "MemcachedBackend", "PetrelBackend", "is_placeholder", "refusal"]


def refusal(cls: type[BaseStorageBackend], name: str | None = None, where: str = "") -> str:
    """Why ``cls`` cannot be built and what to do instead; ``where`` names the path/arguments."""
    label = f"the {name!r} storage backend" if name else cls.__name__
    return (
        f"{where}asks for {label} ({cls.__name__}): runner reads local files only and never "
        f"downloads at run time, so runner_core provides {cls.__name__} as a name only. "
        "Download or mount the data once and pass its local path (drop backend_args, or use "
        "backend='local'); to read that storage anyway, register a backend of your own "
        "(a BaseStorageBackend subclass) with register_backend(name, YourBackend, prefixes=...)."
    )


class _RemoteBackend(BaseStorageBackend):
    """A remote backend kept as a name: building it raises, saying why."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise BackendUnavailableError(refusal(type(self)))

    def get(self, filepath: Any) -> NoReturn:
        raise BackendUnavailableError(refusal(type(self), where=f"Reading {filepath!r} "))

    def get_text(self, filepath: Any, encoding: str = "utf-8") -> NoReturn:
        raise BackendUnavailableError(refusal(type(self), where=f"Reading {filepath!r} "))


def is_placeholder(cls: type) -> bool:
    """Whether building ``cls`` only raises: a remote backend whose ``__init__`` nobody replaced."""
    return getattr(cls, "__init__", None) is _RemoteBackend.__init__


class HTTPBackend(_RemoteBackend):
    """MMEngine's ``http://``/``https://`` backend (downloads with ``urlopen``): a name only."""


class PetrelBackend(_RemoteBackend):
    """MMEngine's ``s3://``/``petrel://`` backend (``petrel_client``): a name only."""


class MemcachedBackend(_RemoteBackend):
    """MMEngine's memcached backend (``mc``): a name only."""
