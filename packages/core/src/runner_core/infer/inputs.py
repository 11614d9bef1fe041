"""Turning what a user passes to an inferencer into samples, and samples into batches."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

from .errors import InferencerError


def inputs_to_list(inputs: Any) -> list[Any]:
    """A folder -> its files, a list or tuple -> a list, anything else -> a list of it.

    A folder (a ``str`` or ``os.PathLike`` naming a local directory) gives the
    paths of its files, hidden ones left out, sorted so that results come in
    the same order on every file system. A string that is not a folder (a file,
    a URL, a prompt) is one input: the subclass's pipeline decides what it means.
    """
    if isinstance(inputs, (str, os.PathLike)) and os.path.isdir(inputs):
        from ..fileio import list_dir_or_file

        folder = os.fspath(inputs)
        names = sorted(list_dir_or_file(folder, list_dir=False))
        return [os.path.join(folder, name) for name in names]
    if isinstance(inputs, (list, tuple)):
        return list(inputs)
    return [inputs]


def check_batch_size(batch_size: Any) -> int:
    """``batch_size`` as an int of at least 1, else an error naming it.

    MMEngine loops forever on ``batch_size=0`` (every chunk is empty).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InferencerError(
            f"batch_size={batch_size!r}: it is how many inputs go to the model at once and "
            "must be an int of at least 1, e.g. batch_size=1 (the default) or batch_size=8."
        )
    return batch_size


def chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of ``size`` items in turn; the last one holds what is left (never empty)."""
    size = check_batch_size(size)
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
