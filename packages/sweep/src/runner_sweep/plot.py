"""``runner-cli plot SWEEP_DIR``: a study's history and parameter importances as a PNG.

runner-cli's ``plot`` command offers each RUN to the ``runner.plotters``
entry points first; this one takes a folder holding ``sweep.json``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from runner_core.errors import ConfigError

from .sweep import STUDIES_DIR, SWEEP_FILE, import_optuna, sqlite_file


def storage_of(folder: Path, record: dict[str, Any]) -> str:
    """The storage URL to draw the sweep folder ``folder`` from.

    A SQLite file is looked for in this order: where ``storage_file`` (recorded
    relative to the folder) points, so a moved or copied folder is drawn from
    its own database; for an older sweep.json, the folder's own study.db when
    the recorded file was a study.db elsewhere; then the recorded path (a
    relative one from the folder). A database that is not there is an error,
    never a new empty one.
    """
    url = str(record["storage"])
    file = sqlite_file(url)
    if file is None:
        return url
    candidates = []
    if record.get("storage_file"):
        candidates.append(folder / str(record["storage_file"]))
    elif file.name == "study.db" and file.is_absolute() and file.parent != folder.resolve():
        candidates.append(folder / "study.db")
    candidates.append(file if file.is_absolute() else folder / file)
    for candidate in candidates:
        if candidate.is_file():
            return f"sqlite:///{candidate.resolve()}"
    raise ConfigError(
        f"{str(folder / SWEEP_FILE)!r} records the study {record.get('study')!r} in {url}, "
        f"but no database is at {' or '.join(repr(str(c)) for c in candidates)}. Copy the "
        "study's database there (or draw the folder the sweep ran in)."
    )


def plot_study(runs: Sequence[str | Path], out: str | Path) -> Path | None:
    """Draw the study of a sweep folder into ``out``; None when ``runs`` is not one sweep folder."""
    if len(runs) != 1:
        return None
    folder = Path(runs[0])
    if not (folder / SWEEP_FILE).is_file():
        studies = sorted((folder / STUDIES_DIR).glob(f"*/{SWEEP_FILE}"))
        if studies:  # a work dir holding only named studies: say which folders to draw
            listed = ", ".join(str(s.parent) for s in studies)
            raise ConfigError(
                f"{str(folder)!r} holds no default study, but named studies in {listed}: "
                "give `runner-cli plot` one of those folders."
            )
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    optuna = import_optuna()
    from optuna.trial import TrialState

    record = json.loads((folder / SWEEP_FILE).read_text())
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=record["study"], storage=storage_of(folder, record))
    metric = study.user_attrs.get("metric", "objective value")
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    pruned = study.get_trials(deepcopy=False, states=(TrialState.PRUNED,))
    if not complete and not pruned:  # empty axes and exit 0 said nothing
        failed = len(study.get_trials(deepcopy=False, states=(TrialState.FAIL,)))
        raise ConfigError(
            f"The study {record['study']!r} of {str(folder)!r} has no complete or pruned trial "
            f"yet ({failed} failed), so there is nothing to draw: let the sweep run until a "
            "trial finishes (runner-cli sweep prints why each failed one failed)."
        )

    fig, (history, importance) = plt.subplots(1, 2, figsize=(12, 4.5))
    fig.suptitle(f"study {record['study']}: {len(complete)} complete, {len(pruned)} pruned")
    history.scatter([t.number for t in complete], [t.value for t in complete], label="complete")
    if pruned:  # a pruned trial's score is its last reported value
        last = [
            (t.number, t.intermediate_values[max(t.intermediate_values)])
            for t in pruned
            if t.intermediate_values
        ]
        history.scatter([n for n, _ in last], [v for _, v in last], marker="x", label="pruned")
    best_so_far: list[tuple[int, float]] = []
    best: float | None = None
    better = max if study.direction.name == "MAXIMIZE" else min
    for t in sorted(complete, key=lambda t: t.number):
        value = t.value
        if value is None:  # a complete trial always has one; keeps the types honest
            continue
        best = value if best is None else better(best, value)
        best_so_far.append((t.number, best))
    if best_so_far:
        history.step(*zip(*best_so_far), where="post", label="best so far")
    history.set(title="optimisation history", xlabel="trial", ylabel=metric)
    history.legend()

    importance.set(title="parameter importance", xlabel="importance (fANOVA)")
    try:
        scores = optuna.importance.get_param_importances(study)
    except (RuntimeError, ValueError, ImportError) as exc:  # too few trials, one value, ...
        importance.text(
            0.5,
            0.5,
            f"not available:\n{exc}"[:200],
            ha="center",
            va="center",
            wrap=True,
            transform=importance.transAxes,
        )
        importance.set_yticks([])
    else:
        names = list(scores)[::-1]
        importance.barh(names, [scores[n] for n in names])
    fig.tight_layout()
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=100)
    plt.close(fig)
    return target
