"""``runner-cli plot SWEEP_DIR``: a study's history and parameter importances as a PNG.

runner-cli's ``plot`` command offers each RUN to the ``runner.plotters``
entry points first; this one takes a folder holding ``sweep.json``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import cast

from .sweep import SWEEP_FILE


def plot_study(runs: Sequence[str | Path], out: str | Path) -> Path | None:
    """Draw the study of a sweep folder into ``out``; None when ``runs`` is not one sweep folder."""
    if len(runs) != 1 or not (Path(runs[0]) / SWEEP_FILE).is_file():
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import optuna
    from optuna.trial import TrialState

    record = json.loads((Path(runs[0]) / SWEEP_FILE).read_text())
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=record["study"], storage=record["storage"])
    metric = study.user_attrs.get("metric", "objective value")
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    pruned = study.get_trials(deepcopy=False, states=(TrialState.PRUNED,))

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
        value = cast(float, t.value)  # a complete single-objective trial has its value
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
