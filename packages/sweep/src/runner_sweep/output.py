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


def _table_console(stream: TextIO) -> Any:
    """A rich console for ``stream`` when it is an interactive terminal that accepts colour
    (not a pipe, NO_COLOR, TERM=dumb) and is wide enough for a table (in a narrower one
    rich cuts every cell to "lr…"); else None: plain lines."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return None
    isatty = getattr(stream, "isatty", None)
    if not (isatty and isatty()):
        return None
    from rich.console import Console

    console = Console(file=stream)
    return console if console.width >= 40 else None


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str, stream: TextIO | None = None
) -> None:
    """A rich table in a terminal; a header line and tab-separated rows in a pipe,
    or in a terminal too narrow for a table."""
    stream = stream or sys.stdout
    console = _table_console(stream)
    if console is not None:
        _print_rich(console, headers, rows, title)
        return
    stream.write("\t".join(map(str, headers)) + "\n")
    for row in rows:
        stream.write("\t".join(str(cell) for cell in row) + "\n")
    stream.flush()


def print_mapping(values: Mapping[str, Any], title: str, stream: TextIO | None = None) -> None:
    """``key: value`` lines (a two-column table in a terminal)."""
    stream = stream or sys.stdout
    console = _table_console(stream)
    if console is not None:
        _print_rich(console, ["key", "value"], [[k, _fmt(v)] for k, v in values.items()], title)
        return
    for key, value in values.items():
        stream.write(f"{key}: {_fmt(value)}\n")
    stream.flush()


def _print_rich(
    console: Any, headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str
) -> None:
    """The rows as a rich table, every name folded onto more lines rather than cut."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for header in headers:
        table.add_column(str(header), overflow="fold")
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    console.print(table)


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)
