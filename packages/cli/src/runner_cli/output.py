"""What the CLI prints: rich tables in a terminal, plain ``key: value`` lines in a pipe.

Scripts parse the plain form, so it never changes with the terminal's width
or colours; rich is imported only when a table goes to a terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO


def is_terminal(stream: TextIO | None = None) -> bool:
    """True for an interactive terminal that accepts colour (not a pipe, NO_COLOR, TERM=dumb)."""
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def format_value(value: Any) -> str:
    """Numbers with four significant decimals, everything else as ``str``."""
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.4g}"
    return str(value)


def print_mapping(values: Mapping[str, Any], title: str, stream: TextIO | None = None) -> None:
    """A two-column table (terminal) or ``key: value`` lines (pipe)."""
    print_table(
        ["key", "value"], [[k, format_value(v)] for k, v in values.items()], title, stream, True
    )


def print_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    title: str | None = None,
    stream: TextIO | None = None,
    key_value: bool = False,
) -> None:
    """Rows as a rich table in a terminal; in a pipe, tab-separated lines
    (or ``key: value`` lines when ``key_value``)."""
    stream = stream or sys.stdout
    if is_terminal(stream):
        from rich.console import Console
        from rich.table import Table

        console = Console(file=stream)
        if console.width >= 40:  # narrower (COLUMNS=20, COLUMNS=0): the plain lines below
            table = Table(title=title, show_header=not key_value, title_justify="left")
            for header in headers:
                table.add_column(header, overflow="fold")  # a key is never cut to "métriq…"
            for row in rows:
                table.add_row(*(str(cell) for cell in row))
            console.print(table)
            return
    for row in rows:
        if key_value:
            stream.write(f"{row[0]}: {row[1]}\n")
        else:
            stream.write("\t".join(str(cell) for cell in row) + "\n")
    stream.flush()


def note(message: str) -> None:
    """A line for the person (stderr), so stdout stays parseable."""
    print(message, file=sys.stderr, flush=True)
