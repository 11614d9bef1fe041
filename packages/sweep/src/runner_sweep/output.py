"""What ``runner-cli sweep`` prints: rich tables in a terminal, tab-separated lines in a pipe.

Kept here (not borrowed from runner-cli's internals) so the sweep talks to
runner-cli only through its plugin-subcommand contract.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO


def note(message: str) -> None:
    """A line for the person (stderr), so stdout stays parseable."""
    print(message, file=sys.stderr, flush=True)


def _is_terminal(stream: TextIO) -> bool:
    """An interactive terminal that accepts colour (not a pipe, NO_COLOR, TERM=dumb)."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str, stream: TextIO | None = None
) -> None:
    """A rich table in a terminal; a header line and tab-separated rows in a pipe,
    or in a terminal too narrow for a table (its cells would be cut to "lr…")."""
    stream = stream or sys.stdout
    if _is_terminal(stream):
        from rich.console import Console
        from rich.table import Table

        console = Console(file=stream)
        if console.width >= 40:
            table = Table(title=title, title_justify="left")
            for header in headers:
                table.add_column(str(header), overflow="fold")
            for row in rows:
                table.add_row(*(str(cell) for cell in row))
            console.print(table)
            return
    stream.write("\t".join(map(str, headers)) + "\n")
    for row in rows:
        stream.write("\t".join(str(cell) for cell in row) + "\n")
    stream.flush()


def print_mapping(values: Mapping[str, Any], title: str, stream: TextIO | None = None) -> None:
    """``key: value`` lines (a two-column table in a terminal)."""
    stream = stream or sys.stdout
    if _is_terminal(stream) and _terminal_width(stream) >= 40:
        print_table(["key", "value"], [[k, _fmt(v)] for k, v in values.items()], title, stream)
        return
    for key, value in values.items():
        stream.write(f"{key}: {_fmt(value)}\n")
    stream.flush()


def _terminal_width(stream: TextIO) -> int:
    from rich.console import Console

    return Console(file=stream).width


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)
