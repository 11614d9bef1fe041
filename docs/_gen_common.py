"""The command line every docs/gen_*_reference.py shares: write the page, or --check it.

Each generator renders its page from the code; this writes the result, or
with ``--check`` exits 1 when the committed page differs (CI and the lead's
merge checks run that form).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path


def rest_markdown(text: str) -> str:
    """reST literals (````x````) and roles (``:class:`~a.B```) in ``text`` as Markdown code.

    A role's ``~`` shows the last dotted name only, as Sphinx does.
    """

    def role(match: re.Match[str]) -> str:
        target = match[1]
        return f"`{target[1:].rsplit('.', 1)[-1] if target.startswith('~') else target}`"

    return re.sub(r":\w+:`([^`]+)`", role, re.sub(r"``(.+?)``", r"`\1`", text))


def page_main(
    render: Callable[[], str], output: Path, doc: str, script: str, argv: list[str] | None
) -> int:
    """Parse ``argv``, then write ``render()`` to ``output`` or check it is up to date."""
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not output.is_file() or output.read_text(encoding="utf-8") != text:
            print(f"{output} is out of date: run python docs/{Path(script).name}", file=sys.stderr)
            return 1
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output}")
    return 0
