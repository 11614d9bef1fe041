"""docs/config-reference.md documents every top-level key the Runner reads."""

from __future__ import annotations

import re
from pathlib import Path

PAGE = Path(__file__).resolve().parents[2] / "docs" / "config-reference.md"


def test_every_known_top_level_key_has_a_section() -> None:
    from runner_core.runner.runner import OTHER_KNOWN_KEYS, RUNNER_KEYS

    headings = re.findall(r"^### (.+)$", PAGE.read_text(encoding="utf-8"), flags=re.M)
    documented = {key for heading in headings for key in re.findall(r"`(\w+)`", heading)}
    missing = [key for key in (*RUNNER_KEYS, *OTHER_KNOWN_KEYS) if key not in documented]
    assert not missing, f"docs/config-reference.md has no section for: {missing}"
    unknown = documented - {*RUNNER_KEYS, *OTHER_KNOWN_KEYS}
    assert not unknown, f"docs/config-reference.md documents keys nothing reads: {sorted(unknown)}"
