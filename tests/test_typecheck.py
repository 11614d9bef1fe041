"""The type checker (mypy, pinned in requirements-dev.txt) is clean over packages/.

The plugin contract (``runner_core.contract``) is enforced this way: the
standard hooks and loops are typed against it, so reaching past it is a type
error here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mypy_reports_no_errors_over_the_packages() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--hide-error-context"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, f"mypy found errors:\n{proc.stdout}{proc.stderr}"
