"""How runner-cli prints tables: rich in a terminal, plain lines elsewhere."""

from __future__ import annotations

import io

import pytest

from runner_cli.output import print_mapping


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("columns", "table"), [("20", False), ("120", True)])
def test_a_terminal_too_narrow_for_a_table_gets_plain_lines(
    monkeypatch: pytest.MonkeyPatch, columns: str, table: bool
) -> None:
    """At 20 columns both keys were cut to 'métriq…' and could not be told apart."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    monkeypatch.setenv("COLUMNS", columns)
    out = _Tty()
    print_mapping({"métrique/top1": 0.5, "métrique/top5": 0.75}, title="test metrics", stream=out)
    text = out.getvalue()
    if table:
        assert "test metrics" in text and "métrique/top5" in text
    else:
        assert text == "métrique/top1: 0.5000\nmétrique/top5: 0.7500\n"
