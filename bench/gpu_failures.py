"""A pytest plugin for ``bench/gpu_check.sh``: each failure written out as it happens.

The device machine's time is short and a suite cut off by its time limit
prints no summary; this appends every failed report to ``$OUT/failures.txt``
at once, so a cut-off run still says what failed and why.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def pytest_runtest_logreport(report: Any) -> None:
    if not report.failed or os.environ.get("PYTEST_XDIST_WORKER"):  # the controller writes
        return
    out = Path(os.environ.get("OUT", "/tmp/gpu-check")) / "failures.txt"
    with out.open("a") as f:
        f.write(f"=== {report.nodeid} ({report.when})\n{report.longreprtext[-2500:]}\n")
