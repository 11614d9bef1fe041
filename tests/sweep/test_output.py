"""How runner-cli sweep prints its tables: rich in a wide terminal, plain lines elsewhere."""

from __future__ import annotations

import io

import pytest

from runner_sweep.output import print_mapping, print_table


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> _Tty:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    return _Tty()


def test_a_narrow_terminal_gets_the_plain_lines_of_a_pipe(
    monkeypatch: pytest.MonkeyPatch, terminal: _Tty
) -> None:
    """At 20 columns rich cut every cell to 'optim…': the trials could not be told apart."""
    monkeypatch.setenv("COLUMNS", "20")
    print_table(
        ["trial", "optim_wrapper.optimizer.lr"], [[0, 0.0123], [1, 0.0456]], "trials", terminal
    )
    assert terminal.getvalue() == "trial\toptim_wrapper.optimizer.lr\n0\t0.0123\n1\t0.0456\n"
    out = _Tty()
    print_mapping({"optim_wrapper.optimizer.lr": 0.0123}, "best", out)
    assert out.getvalue() == "optim_wrapper.optimizer.lr: 0.0123\n"


def test_a_wide_terminal_gets_a_table_with_every_name_whole(
    monkeypatch: pytest.MonkeyPatch, terminal: _Tty
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    name = "optim_wrapper.optimizer.lr_with_a_long_suffix_more_text"  # wider than its column
    print_mapping({name: 0.0123}, "best", terminal)
    text = terminal.getvalue()
    assert "best" in text and "…" not in text
    cells = [line.split("│")[1].strip() for line in text.splitlines() if line.startswith("│")]
    assert "".join(cell for cell in cells if cell != "0.0123") == name  # folded, not cut


def test_term_dumb_gets_plain_lines(monkeypatch: pytest.MonkeyPatch, terminal: _Tty) -> None:
    monkeypatch.setenv("TERM", "dumb")
    print_mapping({"lr": 0.5}, "best", terminal)
    assert terminal.getvalue() == "lr: 0.5000\n"
