"""``runner-cli plot RUN...``: training curves of one or several runs, as a PNG.

Reads ``vis_data/scalars.json`` (JSON lines written by ``LocalVisBackend``)
of the newest run folder of a work dir, or of a given run folder. One subplot
per key, one line per run. Training records carry ``iter``, so their x axis
is the iteration; validation records (MMEngine's: no ``iter``) are drawn by
their step, the epoch in epoch-based runs (whose training records carry
``epoch``). Needs matplotlib: ``pip install runner-cli[plot]``.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..arguments import add_debug
from ..errors import UsageError
from ..output import note

SCALARS = Path("vis_data") / "scalars.json"
#: Bookkeeping numbers every record has; not worth a subplot unless asked for.
_NOT_CURVES = {"step", "iter", "epoch", "time", "data_time", "memory", "eta"}
_NOT_CURVES |= {f"val/{k}" for k in ("time", "data_time", "memory")}
#: keys both training and validation records carry: a validation's go to ``val/<key>``
#: (as do those of any other key a run's records of both stages hold, a val ``loss``)
_SHARED = ("time", "data_time", "memory")
#: y-axis labels of the keys the standard hooks log
_Y_LABELS = {
    "lr": "learning rate",
    "loss": "loss",
    "time": "seconds per iteration",
    "data_time": "seconds per iteration (data loading)",
    "memory": "MB (peak accelerator memory)",
    "momentum": "momentum",
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "plot",
        help="draw logged scalars (loss, lr, metrics) of runs into a PNG",
        description="Draw the scalars of one or several runs. Each RUN is a work dir (its "
        "newest run folder is used), a run folder, or a scalars.json file. With runner-sweep "
        "installed, a sweep folder (one holding sweep.json: WORK_DIR, or "
        "WORK_DIR/studies/NAME) draws its study's history and parameter importances.",
    )
    parser.add_argument(
        "runs", nargs="+", metavar="RUN", help="work dir, run folder, file, or sweep folder"
    )
    parser.add_argument(
        "--keys",
        help="comma-separated keys to draw, e.g. loss,accuracy/top1 (default: every logged "
        "scalar except time/memory counters)",
    )
    parser.add_argument(
        "--out",
        default="curves.png",
        help="the image to write; its extension picks the format, PNG when it has none "
        "(default: %(default)s)",
    )
    add_debug(parser)
    parser.set_defaults(handler=run)


@dataclass
class Series:
    """One key of one run: x values, y values, and what x counts."""

    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)
    x_kinds: set[str] = field(default_factory=set)
    stages: set[str] = field(default_factory=set)  # 'train' and/or 'val'


@dataclass
class Run:
    label: str
    path: Path
    series: dict[str, Series]


def find_scalars(arg: str) -> Path:
    """The scalars file for a command-line RUN (work dir, run folder or file)."""
    path = Path(arg).expanduser()
    if path.is_file():
        return path
    if not path.is_dir():
        raise UsageError(
            f"{arg!r} does not exist. Give a work dir, a run folder or a scalars.json."
        )
    if (path / SCALARS).is_file():
        return path / SCALARS
    runs = sorted(
        (child for child in path.iterdir() if (child / SCALARS).is_file()),
        key=lambda child: child.name,
    )
    if not runs:
        raise UsageError(
            f"{arg!r} holds no {SCALARS} (in it or in a run folder inside it). Scalars are "
            "written by LocalVisBackend (the default visualizer backend); has the run logged "
            "anything yet?"
        )
    # run folders are named by timestamp: the last is the newest; test/val runs in the
    # same work dir log metrics only, so the newest run that trained is preferred
    for child in reversed(runs):
        if _has_training_records(child / SCALARS):
            return child / SCALARS
    return runs[-1] / SCALARS


def _has_training_records(scalars: Path) -> bool:
    with open(scalars, encoding="utf-8") as fh:
        return any('"lr"' in line or '"loss"' in line for line in fh)


def read_run(scalars: Path, label: str) -> Run:
    """Parse the JSON lines; a half-written last line (a run still going) is skipped.

    A key both training and validation records hold is two curves, on two x
    axes: the validation's is ``val/<key>``.
    """
    found: dict[tuple[str, str], Series] = {}  # (stage, key) -> its points
    epoch_based = False  # training records with ``epoch``: validation steps are epochs
    lines = scalars.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == len(lines):
                continue
            raise UsageError(f"{scalars}:{number} is not a JSON record ({exc.msg}).") from exc
        if not isinstance(record, dict) or _is_test(record):
            continue  # a test is one evaluation, not a point of the validation curve
        epoch_based = epoch_based or "epoch" in record  # (older runs' validation ones too)
        if "iter" in record:
            x, kind = record["iter"], "iter"
        else:
            x, kind = record.get("step", number), "epoch" if epoch_based else "step"
        stage = "val" if _is_validation(record) else "train"
        for key, value in record.items():
            if key in ("step", "iter", "epoch") or isinstance(value, bool):
                continue
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                continue
            entry = found.setdefault((stage, key), Series())
            entry.xs.append(float(x))
            entry.ys.append(float(value))
            entry.x_kinds.add(kind)
            entry.stages.add(stage)
    both = {key for stage, key in found if stage == "train"} & {
        key for stage, key in found if stage == "val"
    }
    series = {
        f"val/{key}" if stage == "val" and (key in _SHARED or key in both) else key: entry
        for (stage, key), entry in found.items()
    }
    return Run(label, scalars, series)


def _is_test(record: dict[str, Any]) -> bool:
    """A test's record: every value under ``test/`` (LoggerHook writes them so)."""
    keys = [k for k in record if k not in ("step", "iter", "epoch")]
    return bool(keys) and all(k.startswith("test/") for k in keys)


def _is_validation(record: dict[str, Any]) -> bool:
    """Training records carry ``iter`` and a learning rate or a loss; validation records
    do not (per-epoch ones have no ``iter``, per-iteration ones no ``lr``/``loss``)."""
    if "iter" not in record:
        return True
    return not any(str(k).endswith("lr") or str(k).startswith("loss") for k in record)


def _y_label(key: str) -> str:
    base = key[4:] if key.startswith("val/") else key
    if base in _Y_LABELS:
        return _Y_LABELS[base]
    if base.endswith("lr"):
        return "learning rate"
    if "loss" in base:
        return "loss"
    return key.rsplit("/", 1)[-1].replace("_", " ")


def _labels(paths: Sequence[Path]) -> list[str]:
    """Legend names: ``<work dir>/<run folder>`` (the file's folder for a bare file)."""
    labels = []
    for path in paths:
        run = path.parent.parent if path.parent.name == SCALARS.parent.name else path.parent
        labels.append(f"{run.parent.name}/{run.name}")
    return labels


def choose_keys(runs: Sequence[Run], wanted: str | None) -> list[str]:
    from runner_core.errors import did_you_mean

    available: list[str] = []
    for run in runs:
        available += [k for k in run.series if k not in available]
    if wanted:
        keys = [k.strip() for k in wanted.split(",") if k.strip()]
        unknown = [k for k in keys if k not in available]
        if unknown:
            hints = "".join(did_you_mean(k, available) for k in unknown)
            raise UsageError(
                f"--keys names {', '.join(map(repr, unknown))}, which no run logged.{hints} "
                f"Logged keys: {', '.join(available) or 'none'}."
            )
        return keys
    keys = [k for k in available if k not in _NOT_CURVES]
    if not keys:
        raise UsageError(
            f"No scalars to draw in {', '.join(str(r.path) for r in runs)}: the runs logged "
            f"nothing yet (keys found: {', '.join(available) or 'none'})."
        )
    return keys


def _import_pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        raise UsageError(
            "runner-cli plot needs matplotlib, which is not installed. Install it with "
            "`pip install runner-cli[plot]` (or `pip install matplotlib`)."
        ) from exc
    matplotlib.use("Agg")  # files only: no display needed, works over ssh and in CI
    import matplotlib.pyplot as plt

    return plt


def draw(runs: Sequence[Run], keys: Sequence[str], out: Path) -> list[dict[str, str]]:
    """Write the PNG; return each panel's title and axis labels (and the figure title)."""
    plt = _import_pyplot()
    cols = 1 if len(keys) == 1 else 2
    rows = math.ceil(len(keys) / cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(6.4 * cols, 3.6 * rows + 0.4), squeeze=False, layout="constrained"
    )
    names = ", ".join(run.label for run in runs)
    suptitle = (
        f"Training curves of {names}" if len(names) < 90 else f"Training curves of {len(runs)} runs"
    )
    fig.suptitle(suptitle)
    panels = []
    for index, key in enumerate(keys):
        ax = axes[index // cols][index % cols]
        kinds: set[str] = set()
        stages: set[str] = set()
        for run in runs:
            series = run.series.get(key)
            if series is None or not series.xs:
                continue
            kinds |= series.x_kinds
            stages |= series.stages
            style = "o-" if len(series.xs) < 30 else "-"
            ax.plot(series.xs, series.ys, style, label=run.label, markersize=3, linewidth=1.2)
        validation = stages == {"val"}
        if validation:  # validation panels: tinted, and said so in the title
            ax.set_facecolor("#eef3fb")
            ax.set_title(f"{key} (validation)" if not key.startswith("val/") else key)
        else:
            ax.set_title(key)
        ax.set_xlabel(" / ".join(sorted(kinds)) or "step")
        ax.set_ylabel(_y_label(key))
        ax.grid(True, alpha=0.3)
        if key == "lr" or key.endswith("_lr"):
            ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
        ax.legend(fontsize="small")
        panels.append(
            {"title": ax.get_title(), "ylabel": ax.get_ylabel(), "xlabel": ax.get_xlabel()}
        )
    for index in range(len(keys), rows * cols):
        axes[index // cols][index % cols].set_visible(False)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return [{"title": suptitle, "ylabel": "", "xlabel": ""}, *panels]


def run(args: argparse.Namespace) -> int:
    from ..plotters import plot_with_plugins

    if not Path(args.out).suffix:  # matplotlib would add .png itself; name the file it writes
        args.out = str(Path(args.out).with_suffix(".png"))
    drawn = plot_with_plugins(args.runs, args.out)  # e.g. a sweep folder (runner-sweep)
    if drawn is not None:
        note(f"Wrote {drawn}.")
        return 0
    paths = [find_scalars(arg) for arg in args.runs]
    runs = [read_run(path, label) for path, label in zip(paths, _labels(paths))]
    keys = choose_keys(runs, args.keys)
    out = Path(args.out)
    draw(runs, keys, out)
    note(f"Wrote {out} ({len(keys)} key(s): {', '.join(keys)}; {len(runs)} run(s)).")
    return 0
