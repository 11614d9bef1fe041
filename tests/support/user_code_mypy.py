"""Run mypy on a user module in a subprocess, with its own settings (not the project's).

Tests that promise MMEngine-style user code type-checks against our packages
write the module and a ``mypy.ini`` next to it; torch and other heavy
libraries are left out of the analysis there to keep the check fast.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


def run_mypy(folder: Path, code: str, ini: str, *flags: str) -> tuple[str, dict[int, list[str]]]:
    """mypy's output for ``folder/user_code.py`` and its messages by line (errors and notes)."""
    (folder / "user_code.py").write_text(code)
    (folder / "mypy.ini").write_text(ini)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--no-incremental",
            "--config-file",
            "mypy.ini",
            "--cache-dir",
            str(folder / "cache"),
            "--no-error-summary",
            *flags,
            "user_code.py",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    by_line: dict[int, list[str]] = {}
    for line in proc.stdout.splitlines():
        found = re.match(r"user_code\.py:(\d+): (?:error|note): (.*)", line)
        if found:
            by_line.setdefault(int(found[1]), []).append(found[2])
    return proc.stdout + proc.stderr, by_line
