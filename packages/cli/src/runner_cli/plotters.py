"""Plotters added by plugins, through the ``runner.plotters`` entry-point group.

``runner-cli plot RUN...`` offers its arguments to each plotter first; a
plotter is ``plot(runs, out) -> Path | None`` and returns None for
arguments it does not draw (runner-sweep's draws a sweep folder's study).
The entry point is loaded only when ``plot`` runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

GROUP = "runner.plotters"


def plot_with_plugins(runs: Sequence[str], out: str) -> Path | None:
    """The file a plugin's plotter wrote for ``runs``, or None if none took them."""
    from runner_core.registry import discovery

    for entry in discovery.entries(GROUP):
        written = entry.load()(list(runs), out)
        if written is not None:
            return Path(written)
    return None
