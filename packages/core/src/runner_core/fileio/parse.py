"""Text files as lists and dicts (class-name files, split files): MMEngine's ``fileio.parse``.

The file is read through its storage backend, as ``fileio.get_text`` does.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import FileContentError
from .local import backend_for

__all__ = ["dict_from_file", "list_from_file"]


def list_from_file(
    filename: str | Path,
    prefix: str = "",
    offset: int = 0,
    max_num: int = 0,
    encoding: str = "utf-8",
    file_client_args: dict[str, Any] | None = None,
    backend_args: dict[str, Any] | None = None,
) -> list[str]:
    """The lines of a text file, without line ends, each after ``prefix``.

    The first ``offset`` lines are skipped; at most ``max_num`` lines are
    returned (0 or less: all).
    """
    text = backend_for(filename, backend_args, file_client_args).get_text(filename, encoding)
    items: list[str] = []
    with io.StringIO(text) as f:
        for _ in range(offset):
            f.readline()
        for line in f:
            if 0 < max_num <= len(items):
                break
            items.append(prefix + line.rstrip("\n\r"))
    return items


def dict_from_file(
    filename: str | Path,
    key_type: Callable[[str], Any] = str,
    encoding: str = "utf-8",
    file_client_args: dict[str, Any] | None = None,
    backend_args: dict[str, Any] | None = None,
) -> dict[Any, Any]:
    """A text file of whitespace-separated columns as ``{first: rest}``.

    The key is ``key_type(first column)``; the value the second column, or the
    list of the others when there are more than two.
    """
    text = backend_for(filename, backend_args, file_client_args).get_text(filename, encoding)
    mapping: dict[Any, Any] = {}
    with io.StringIO(text) as f:
        for number, line in enumerate(f, start=1):
            items = line.rstrip("\n").split()
            if len(items) < 2:
                raise FileContentError(
                    f"{filename}:{number}: dict_from_file needs at least two columns (a key and "
                    f"a value) on every line, got {line.rstrip()!r}."
                )
            mapping[key_type(items[0])] = items[1:] if len(items) > 2 else items[1]
    return mapping
