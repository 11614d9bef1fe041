"""Every test file under tests/ is part of the plain `pytest` run that CI does.

pytest skips folders by name (its default ``norecursedirs`` holds ``dist`` and
``build``); the distributed tests once went unrun that way (their folder was
named ``dist``) while passing when named on the command line.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_plain_run_collects_every_test_file() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    collected = {line.split("::")[0] for line in proc.stdout.splitlines() if "::" in line}
    on_disk = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "tests").rglob("test_*.py")
        if not any(part.startswith(".") or part == "__pycache__" for part in path.parts)
    }
    assert on_disk - collected == set(), "test files a plain `pytest` run does not collect"
