"""``LmdbBackend``: values of a local LMDB database, keyed by "path" (needs ``pip install lmdb``).

A local store, so it works as MMEngine's when the optional ``lmdb`` package
is installed; the package is imported when the backend is built, never by
``import runner_core``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from .backends import BaseStorageBackend
from .errors import BackendUnavailableError, UnsupportedOperationError

__all__ = ["LmdbBackend"]


class LmdbBackend(BaseStorageBackend):
    """Reads the value stored under a key (the "filepath") of the LMDB database at ``db_path``.

    ``readonly``, ``lock``, ``readahead`` and ``kwargs`` go to ``lmdb.open``,
    which runs on the first :meth:`get`.
    """

    def __init__(
        self,
        db_path: str | Path,
        readonly: bool = True,
        lock: bool = False,
        readahead: bool = False,
        **kwargs: Any,
    ) -> None:
        self._client: Any = None
        try:
            importlib.import_module("lmdb")
        except ImportError:
            raise BackendUnavailableError(
                f"LmdbBackend (database {str(db_path)!r}) needs the lmdb package, which is not "
                'installed: please run "pip install lmdb" to enable LmdbBackend.'
            ) from None
        self.db_path = str(db_path)
        self.readonly = readonly
        self.lock = lock
        self.readahead = readahead
        self.kwargs = kwargs

    def get(self, filepath: str | Path) -> Any:
        """The bytes stored under the key ``str(filepath)`` (ASCII); None when absent."""
        if self._client is None:
            lmdb = importlib.import_module("lmdb")  # optional: no stubs needed
            self._client = lmdb.open(
                self.db_path,
                readonly=self.readonly,
                lock=self.lock,
                readahead=self.readahead,
                **self.kwargs,
            )
        with self._client.begin(write=False) as txn:
            return txn.get(str(filepath).encode("ascii"))

    def get_text(self, filepath: str | Path, encoding: str = "utf-8") -> str:
        """Not available (as MMEngine): LMDB values are bytes; decode ``get(...)`` yourself."""
        raise UnsupportedOperationError(
            f"LmdbBackend has no get_text (reading {str(filepath)!r}): its values are bytes. "
            f"Use get({str(filepath)!r}).decode({encoding!r})."
        )

    def __del__(self) -> None:
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()
