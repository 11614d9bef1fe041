"""Plotters added by plugins, through the ``runner.plotters`` entry-point group.

``runner-cli plot RUN...`` offers its arguments to each plotter first; a
plotter is ``plot(runs, out) -> Path | None`` and returns None for
arguments it does not draw (runner-sweep's draws a sweep folder's study).
The entry point is loaded only when ``plot`` runs.

One broken plugin must not take ``plot`` down for everyone: a plotter that
fails to load, or is not callable, is skipped with a warning naming it (the
other plotters and the built-in plot still run). A plotter that fails while
drawing is reported naming it, since it took the runs and drew nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import CommandFailed, UsageError, one_paragraph

GROUP = "runner.plotters"


def _fix(entry: Any) -> str:
    return (
        f"Fix or reinstall {entry.distribution}, or uninstall it "
        f"(`pip uninstall {entry.distribution}`)."
    )


def _usable(entry: Any) -> Any:
    """The plotter function of ``entry``, or None (and a warning) when it cannot be used."""
    from runner_core.errors import PluginError
    from runner_core.registry.kinds import kind_problem

    try:
        plotter = entry.load()
    except PluginError as exc:
        cause = exc.__cause__ or exc
        problem: str | None = (
            f"failed to load ({type(cause).__name__}: {one_paragraph(str(cause))})"
        )
    else:
        problem = kind_problem(GROUP, plotter)
        if problem is None:
            return plotter
    print(
        f"runner-cli: warning: the plotter plugin {entry.where()} {problem}; it is skipped "
        f"(the other plotters and the built-in plot keep working). {_fix(entry)}",
        file=sys.stderr,
    )
    return None


def plot_with_plugins(runs: Sequence[str], out: str) -> Path | None:
    """The file a plugin's plotter wrote for ``runs``, or None if none took them."""
    from runner_core.errors import RunnerError, add_note
    from runner_core.registry import discovery

    for entry in discovery.entries(GROUP):
        plotter = _usable(entry)
        if plotter is None:
            continue
        try:
            written = plotter(list(runs), out)
        except (RunnerError, UsageError) as exc:  # the plugin's own message about the input
            add_note(exc, f"Raised in the plotter plugin {entry.where()}.")
            raise
        except Exception as exc:
            raise CommandFailed(
                f"The plotter plugin {entry.where()} failed while drawing "
                f"{', '.join(map(repr, runs))}: {type(exc).__name__}: "
                f"{one_paragraph(str(exc)) or '(no message)'}. {_fix(entry)} Run again with "
                "--debug for the traceback."
            ) from exc
        if written is not None:
            return Path(written)
    return None
