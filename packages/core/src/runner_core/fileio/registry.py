"""Which storage backend serves a path: ``register_backend`` and ``get_file_backend``.

As MMEngine's: a backend is registered under a name and, optionally, URI
prefixes (``s3`` for ``s3://...``); ``get_file_backend(uri, backend_args=...)``
builds the one ``backend_args['backend']`` names, else the one registered for
the URI's prefix (``''``, a plain path: the local disk). The ``fileio``
functions (``get``, ``put``, ...) go through it, so a backend registered here
serves them for its prefix.

Differences: a URL no working backend serves raises
:class:`~runner_core.fileio.RemoteFileError` (runner never downloads; for
``s3://`` an ImportError, for ``http://`` a URLError, as MMEngine's);
``backend='disk'`` means the local disk too; the remote backends that exist
only as names (:mod:`.remote`) give up their name and prefixes to a user's
backend without ``force=True``; a registration is checked whole before
anything changes, and resets the backends ``enable_singleton`` cached.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

from .backends import BaseStorageBackend, LocalBackend, require_concrete
from .errors import (
    BackendNameError,
    BackendUnavailableError,
    FileArgumentError,
    FileBackendError,
    FileIOError,
    RemoteBackendUnavailableError,
    RemoteFileError,
    UnreachableURLError,
    UnregisteredPrefixError,
)
from .lmdb_backend import LmdbBackend
from .remote import HTTPBackend, MemcachedBackend, PetrelBackend, is_placeholder, refusal

__all__ = [
    "backends",
    "get_file_backend",
    "parse_uri_prefix",
    "prefix_to_backends",
    "register_backend",
]

#: backend name -> class
backends: dict[str, type[BaseStorageBackend]] = {}
#: URI prefix (``'s3'``; ``''`` for plain paths) -> class
prefix_to_backends: dict[str, type[BaseStorageBackend]] = {}
# backends built with enable_singleton=True, by (prefix, backend_args)
_instances: dict[tuple[str, Hashable], BaseStorageBackend] = {}
# names that mean the local disk when not registered: FileClient's ``disk``
_ALIASES = {"disk": "local"}


def parse_uri_prefix(uri: str | Path) -> str:
    """The prefix of ``uri``: ``'s3'`` for ``s3://b/k`` and ``cluster:s3://b/k``, else ``''``."""
    if not isinstance(uri, (str, Path)):
        raise FileArgumentError(
            f"A file path must be a str or a pathlib.Path, got {type(uri).__name__} {uri!r:.80}."
        )
    text = str(uri)
    if "://" not in text:
        return ""
    prefix = text.split("://", 1)[0]
    return prefix.rsplit(":", 1)[-1]  # petrel's ``cluster:s3://``


def _check_registration(
    name: Any,
    backend: Any,
    prefixes: Any,
    force: bool,
    names: dict[str, Any],
    prefix_map: dict[str, Any],
) -> list[str]:
    """The prefixes to register ``backend`` for; raise, changing nothing, if it cannot be."""
    if not isinstance(name, str):
        raise FileArgumentError(
            f"the backend name should be a string, but got {type(name).__name__} {name!r}."
        )
    if not inspect.isclass(backend):
        raise FileArgumentError(
            f"backend should be a class, but got {type(backend).__name__} {backend!r:.80} "
            f"(registering {name!r})."
        )
    if not issubclass(backend, BaseStorageBackend):
        raise FileArgumentError(
            f"backend {backend.__qualname__} (registering {name!r}) is not a subclass of "
            "BaseStorageBackend: subclass it and implement get() and get_text()."
        )
    if prefixes is None:
        prefix_list: list[str] = []
    elif isinstance(prefixes, str):
        prefix_list = [prefixes]
    elif isinstance(prefixes, (list, tuple)) and all(isinstance(p, str) for p in prefixes):
        prefix_list = list(prefixes)
    else:
        raise FileArgumentError(
            f"prefixes of backend {name!r} must be a str or a list/tuple of str, got {prefixes!r}."
        )
    taken = [] if force or name not in names or is_placeholder(names[name]) else [f"name {name!r}"]
    prefixes_taken = [
        repr(p)
        for p in prefix_list
        if not force and p in prefix_map and not is_placeholder(prefix_map[p])
    ]
    if prefixes_taken:
        taken.append(
            ("prefix " if len(prefixes_taken) == 1 else "prefixes ") + ", ".join(prefixes_taken)
        )
    if taken:
        what = " and ".join(taken)
        verb = "is" if len(taken) == 1 and len(prefixes_taken) < 2 else "are"
        raise BackendNameError(
            f"{what} {verb} already registered as a storage backend (registering "
            f'{backend.__qualname__} as {name!r}), add "force=True" if you want to override it.'
        )
    return prefix_list


def register_backend(
    name: str,
    backend: type[BaseStorageBackend] | None = None,
    force: bool = False,
    prefixes: str | list[str] | tuple[str, ...] | None = None,
) -> Any:
    """Register a storage backend class under ``name`` and for URI ``prefixes``.

    ``register_backend('mem', MemBackend, prefixes='mem')``, or as a class
    decorator ``@register_backend('mem', prefixes='mem')``. Then
    ``get('mem://x')`` and ``backend_args=dict(backend='mem')`` use it. A
    taken name or prefix raises unless ``force=True`` (or it belongs to a
    remote backend runner has as a name only).
    """
    if backend is not None:
        _register(name, backend, force, prefixes)
        return None

    def decorate(cls: type[BaseStorageBackend]) -> type[BaseStorageBackend]:
        _register(name, cls, force, prefixes)
        return cls

    return decorate


def _register(name: str, backend: Any, force: bool, prefixes: Any) -> None:
    prefix_list = _check_registration(name, backend, prefixes, force, backends, prefix_to_backends)
    backends[name] = backend
    for prefix in prefix_list:
        prefix_to_backends[prefix] = backend
    _instances.clear()


def _args_key(backend_args: dict[str, Any]) -> Hashable:
    """A cache key for ``backend_args``: its items, else JSON, else ``repr`` (unhashable values)."""
    try:
        key = frozenset(backend_args.items())
        hash(key)
        return key
    except TypeError:
        pass
    try:
        return json.dumps(backend_args, sort_keys=True)
    except (TypeError, ValueError):
        return repr(sorted(backend_args.items(), key=lambda kv: str(kv[0])))


def _placeholder_error(cls: type[BaseStorageBackend]) -> type[FileIOError]:
    """The error for a URL served by the name-only ``cls``: what ``except`` written for MMEngine catches.

    MMEngine's HTTPBackend opens the URL (URLError offline); its Petrel and
    Memcached backends raise ImportError without their client library.
    """
    return UnreachableURLError if issubclass(cls, HTTPBackend) else RemoteBackendUnavailableError


def _url_refusal(uri: Any, prefix: str, named_local: bool = False) -> FileIOError:
    """The refusal of a URL no working backend serves (same words as before backends existed).

    ``named_local``: ``backend_args`` named the local disk, which finds no such
    file (as MMEngine's LocalBackend would), whoever serves the prefix.
    """
    served = prefix_to_backends.get(prefix)
    if served is None:
        owner = f"no storage backend is registered for {prefix}://"
        from .file_client import FileClient  # imports this module: here, not at the top

        client_only = FileClient._prefix_to_backends.get(prefix)
        if client_only is not None and not is_placeholder(client_only):
            owner += (
                f"; {client_only.__name__} was registered with FileClient.register_backend, "
                "which only FileClient uses, as in MMEngine: register it with "
                f"register_backend({prefix!r}, {client_only.__name__}, prefixes={prefix!r}) too"
            )
    elif is_placeholder(served):
        owner = (
            f"the {prefix}:// prefix belongs to {served.__name__}, which runner_core provides "
            "as a name only"
        )
    else:  # backend_args named the local disk for it
        owner = f"backend_args name the local disk, not {served.__name__} which serves {prefix}://"
    error: type[FileIOError] = RemoteFileError
    if served is None:
        error = UnregisteredPrefixError  # KeyError as MMEngine
    elif is_placeholder(served) and not named_local:
        error = _placeholder_error(served)
    return error(
        f"{os.fspath(uri)!r} is a URL ({prefix}://): runner reads local files only and never "
        f"downloads at run time ({owner}). Download or mount the data once and pass its local "
        f"path, or register a backend of your own for it: register_backend('my{prefix}', "
        f"YourBackend, prefixes={prefix!r})."
    )


def _build(prefix: str, backend_args: dict[str, Any], uri: Any) -> BaseStorageBackend:
    """A new backend for a URI of ``prefix``; ``backend_args['backend']`` chooses first."""
    if "backend" in backend_args:
        kwargs = dict(backend_args)
        name = kwargs.pop("backend")
        cls = backends.get(name)
        if cls is None and name in _ALIASES:
            cls = backends.get(_ALIASES[name])
        where = f"backend_args={backend_args!r}" + (
            f" for {os.fspath(uri)!r} " if uri is not None else " "
        )
        if cls is None:
            raise BackendNameError(
                f"{where}names the storage backend {name!r}, which is not registered "
                f"(registered: {', '.join(backends)}). Register it with "
                f"register_backend({name!r}, YourBackend), or drop backend_args to read local "
                "files."
            )
        if is_placeholder(cls):
            raise BackendUnavailableError(refusal(cls, name, where))
        if prefix and cls is LocalBackend:  # the local disk named for a URL
            raise _url_refusal(uri, prefix, named_local=True)
        return _construct(cls, kwargs, where)
    cls = prefix_to_backends.get(prefix)
    if cls is None or is_placeholder(cls):
        raise _url_refusal(uri, prefix)
    where = f"backend_args={backend_args!r} for {os.fspath(uri)!r} "
    return _construct(cls, backend_args, where)


def _construct(
    cls: type[BaseStorageBackend], kwargs: dict[str, Any], where: str
) -> BaseStorageBackend:
    """``cls(**kwargs)``; arguments its constructor does not take are named, with its signature."""
    require_concrete(cls, where.strip())
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):  # no signature to check against: let the call say
        return cls(**kwargs)
    try:
        signature.bind(**kwargs)
    except TypeError as exc:
        params = ", ".join(
            f"**{p.name}" if p.kind is p.VAR_KEYWORD else p.name
            for p in signature.parameters.values()
        )
        raise FileArgumentError(
            f"{where}do not fit {cls.__name__}({params}): {exc}. Give the backend's constructor "
            "arguments, and only those, next to 'backend' (e.g. backend_args=dict("
            "backend='lmdb', db_path='data/db.lmdb'))."
        ) from None
    return cls(**kwargs)


def get_file_backend(
    uri: str | Path | None = None,
    *,
    backend_args: dict[str, Any] | None = None,
    enable_singleton: bool = False,
) -> Any:
    """The storage backend for ``uri``: the one ``backend_args['backend']`` names, else its prefix's.

    The other ``backend_args`` go to the backend's constructor. With
    ``enable_singleton`` the same arguments return the same object (until
    a backend is registered). A plain path gives a :class:`LocalBackend`.
    """
    if backend_args is None:
        backend_args = {}
    elif not isinstance(backend_args, Mapping) and hasattr(backend_args, "keys"):
        backend_args = dict(backend_args)  # a Config: what ** takes, as MMEngine's does
    elif not isinstance(backend_args, Mapping):  # MMEngine: a TypeError from LocalBackend(**)
        raise FileArgumentError(
            f"backend_args must be a dict like dict(backend='local') (the backend's name and "
            f"its constructor arguments), got {type(backend_args).__name__} {backend_args!r:.80}"
            + (f" for {os.fspath(uri)!r}." if isinstance(uri, (str, Path)) else ".")
        )
    if uri is None and "backend" not in backend_args:
        raise FileBackendError(
            'uri should not be None when "backend" does not exist in backend_args: pass the '
            "path the backend will read (get_file_backend('data/')) or name the backend "
            "(backend_args=dict(backend='local'))."
        )
    prefix = "" if uri is None else parse_uri_prefix(uri)
    if not enable_singleton:
        return _build(prefix, backend_args, uri)
    key = (prefix, _args_key(backend_args) if backend_args else "")
    backend = _instances.get(key)
    if backend is None:
        backend = _instances[key] = _build(prefix, backend_args, uri)
    return backend


register_backend("local", LocalBackend, prefixes="")
register_backend("memcached", MemcachedBackend)
register_backend("lmdb", LmdbBackend)
# ``s3`` is also petrel's, as in MMEngine (the backward-compatible prefix)
register_backend("petrel", PetrelBackend, prefixes=["petrel", "s3"])
register_backend("http", HTTPBackend, prefixes=["http", "https"])
