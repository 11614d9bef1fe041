"""Reading config files and guarding their ``_base_`` chain.

Shared by the loader (``_base_`` lists) and the pure-Python reader
(``read_base()`` imports), which recurse into each other's kind of base.
"""

from __future__ import annotations

import os

from .errors import ConfigError, ConfigFileNotFoundError

__all__ = ["check_not_in_chain", "close_files", "format_chain", "read_text"]


def format_chain(chain: tuple[str, ...]) -> str:
    """``a.py -> b.py -> c.py``: an inheritance chain, for messages."""
    return " -> ".join(chain)


def close_files(path: str) -> str:
    """`` Did you mean 'base.py'?`` for a missing ``path``: the files in its folder, with its
    suffix, whose names are close to its name (a misspelt ``_base_`` entry); '' if none.
    Names are compared without the suffix, which every candidate shares."""
    from ..errors import close_matches, suggestion

    folder, name = os.path.split(path)
    stem, suffix = os.path.splitext(name)
    try:
        names = os.listdir(folder)
    except OSError:  # the folder is missing too: the path says which
        return ""
    stems = [
        os.path.splitext(n)[0]
        for n in names
        if os.path.splitext(n)[1] == suffix and os.path.isfile(os.path.join(folder, n))
    ]
    return suggestion([close + suffix for close in close_matches(stem, stems)])


def check_not_in_chain(path: str, chain: tuple[str, ...]) -> None:
    """Refuse a ``_base_`` cycle, showing it."""
    real = os.path.realpath(path)
    for index, seen in enumerate(chain):
        if os.path.realpath(seen) == real:
            raise ConfigError(
                f"{chain[-1]}: the _base_ configs form a cycle: "
                f"{format_chain((*chain[index:], path))}. Remove one of these inheritances."
            )


def read_text(filename: str, chain: tuple[str, ...] = ()) -> str:
    """The text of ``filename``; a missing base names the chain that wanted it.

    UTF-8, with the byte-order mark some Windows editors write taken off (Python runs
    such a file; its text handed to ``compile`` would not).
    """
    try:
        with open(filename, encoding="utf-8-sig") as handle:
            return handle.read()
    except FileNotFoundError:
        if chain:
            raise ConfigFileNotFoundError(
                f"{chain[-1]}: base config {filename} does not exist. Inheritance chain: "
                f"{format_chain((*chain, filename))}. Check the relative path in _base_.",
                filename,
            ) from None
        raise ConfigFileNotFoundError(
            f"config file {filename} does not exist; check the path.", filename
        ) from None
    except UnicodeDecodeError as exc:
        with open(filename, "rb") as handle:
            data = handle.read()
        at = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)  # after the BOM
        line = data[:at].count(b"\n") + 1
        raise ConfigError(
            f"cannot read config file {filename}: line {line} is not UTF-8 ({exc.reason} at "
            f"byte {at}). Save the file as UTF-8."
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {filename}: {exc}") from None
