"""The notes runner adds to an error (where it was raised, how to fix it) show under its
traceback on every supported Python: 3.10 has no ``add_note`` and prints no notes itself."""

from __future__ import annotations

import subprocess
import sys

import pytest

_RAISE = """
import logging
from runner_core.errors import add_note
err = ValueError("boom")
add_note(err, "Raised by hook DemoHook (at hook point 'before_run').")
try:
    raise err
except ValueError:
    logging.exception("logged")
raise err
"""


def test_a_note_shows_under_the_traceback_and_in_logged_errors() -> None:
    if sys.version_info < (3, 11):  # there the exceptiongroup backport prints notes
        pytest.importorskip("exceptiongroup")
    done = subprocess.run(
        [sys.executable, "-c", _RAISE], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    # once in the logged traceback, once in the uncaught one
    assert done.stderr.count("Raised by hook DemoHook (at hook point 'before_run').") == 2
