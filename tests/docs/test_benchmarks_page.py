"""docs/benchmarks.md is what bench/run_all.py renders from docs/benchmarks.json.

Notes written into the page by hand are lost at the next benchmark run: they
belong in the generator. A note added to one and not the other fails here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_benchmarks_page_is_the_generators_rendering(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run_all.py"), "--render-only", "--out-md", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    page = (REPO / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == page, (
        "docs/benchmarks.md differs from what bench/run_all.py renders: put the change in "
        "the generator, then run `python bench/run_all.py --render-only`."
    )
