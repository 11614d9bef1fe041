"""Profile the W1 job in one process: where does our per-iteration time go?

    python bench/profile_w1.py                      # best of 5, raw / ours_none / ours_full
    python bench/profile_w1.py --cprofile ours_full # cProfile one variant, top 30 by own time
    python bench/profile_w1.py --report --json-out F  # what run_all's profile section records

Repeating in one process and keeping the best run filters out a busy
machine's noise, so small differences (a few microseconds per iteration)
show; ``w1_overhead.py`` gives the numbers that are reported.

``--report`` records four views: the best in-process W1 times; W1 cut into
segments (``w1_segments.py``); the
framework's own cost per iteration on a null model, with no hooks, the full
default set, and each default hook alone (``null_overhead.py``: torch taken
out, so per-hook costs are not lost in noise); and cProfile of W1 with the
full default set over the training window only (``before_train`` to
``after_train``), the top functions by own and by cumulative time, in µs per
iteration. cProfile adds its own cost to every Python call, so it inflates
the framework's share; read it for the ranking, and the null model for the
size.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import w1_overhead as w1  # noqa: E402


def one(variant: str, loader: object) -> float:
    w1._marks.clear()
    model = w1.make_mlp()
    with tempfile.TemporaryDirectory(prefix="w1-") as work_dir:
        if variant == "raw":
            w1.raw_loop(loader, model)
        elif variant == "ours_full":
            w1.ours(loader, model, work_dir, None)
        elif variant == "ours_none":
            w1.ours(loader, model, work_dir, "none")
        else:
            raise SystemExit(f"unknown variant {variant!r}")
    return w1._marks["stop"] - w1._marks["start"]


def profile_train_window(variant: str, loader: Any) -> pstats.Stats:
    """cProfile ``variant`` from its start clock to its stop clock only."""
    profiler = cProfile.Profile()
    clock = w1._clock
    calls = []

    def toggling_clock() -> float:
        now = clock()
        calls.append(now)
        if len(calls) == 1:
            profiler.enable()
        else:
            profiler.disable()
        return now

    w1._clock = toggling_clock
    try:
        one(variant, loader)
    finally:
        w1._clock = clock
        profiler.disable()
    return pstats.Stats(profiler)


_OUR_PACKAGES = ("/runner_core/", "/runner_hooks_standard/", "/runner_loops_standard/")


def _label(key: tuple[str, int, str]) -> str:
    filename, line, name = key
    if filename == "~":
        return name  # a builtin: "<method 'mul_' of ...>"
    if filename.startswith("<"):
        return filename
    if "site-packages/" in filename:
        filename = filename.split("site-packages/", 1)[1]
    elif _ours(key):
        filename = filename[filename.rindex("/src/") + 5 :]
    return f"{filename}:{line}({name})"


def _ours(key: tuple[str, int, str]) -> bool:
    """Code of this project's packages (wherever they are installed from) or its hook points."""
    filename = key[0]
    if filename.startswith("<hook point"):
        return True
    return "site-packages/" not in filename and any(p in filename for p in _OUR_PACKAGES)


def profile_rows(stats: pstats.Stats, iters: int, top: int = 15) -> dict[str, Any]:
    """Top functions by own time (all) and by cumulative time (ours), µs per iteration."""
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    rows = []
    for key, (_cc, ncalls, tottime, cumtime, _callers) in raw.items():
        rows.append(
            {
                "function": _label(key),
                "ours": _ours(key),
                "calls_per_iter": ncalls / iters,
                "own_us": tottime / iters * 1e6,
                "cum_us": cumtime / iters * 1e6,
            }
        )
    total = sum(r["own_us"] for r in rows)
    ours_own = sum(r["own_us"] for r in rows if r["ours"])
    calls = sum(r["calls_per_iter"] for r in rows)
    ours_calls = sum(r["calls_per_iter"] for r in rows if r["ours"])
    by_own = sorted(rows, key=lambda r: r["own_us"], reverse=True)[:top]
    by_cum = sorted((r for r in rows if r["ours"]), key=lambda r: r["cum_us"], reverse=True)[:top]
    return {
        "total_us_per_iter": total,
        "ours_own_us_per_iter": ours_own,
        "calls_per_iter": calls,
        "ours_calls_per_iter": ours_calls,
        "top_own": by_own,
        "top_ours_cumulative": by_cum,
    }


def report(repeats: int, null_repeats: int) -> dict[str, Any]:
    """What ``run_all.py``'s profile section records (see the module docstring)."""
    import logging

    import null_overhead
    import torch

    torch.set_num_threads(1)
    logging.disable(logging.INFO)
    null = null_overhead.measure(
        ["none", "full", *(f"only:{r}" for r in null_overhead.ROLES)], null_repeats
    )
    loader = w1.make_loader()
    w1.raw_loop(loader, w1.make_mlp(), 200)
    iters = len(loader)
    best: dict[str, float] = {}
    for _ in range(repeats):  # interleaved, best of
        for variant in ("raw", "ours_none", "ours_full"):
            us = one(variant, loader) / iters * 1e6
            best[variant] = min(best.get(variant, us), us)
    stats = profile_train_window("ours_full", loader)
    import w1_segments

    return {
        "iters": iters,
        "segments": w1_segments.measure(repeats),
        "w1_best_us_per_iter": best,
        "null_us_per_iter": null,
        "null_iters": null_overhead.N_ITERS,
        "cprofile": profile_rows(stats, iters),
    }


def before_after(baseline: str, recorded: Path, rounds: int) -> dict[str, Any]:
    """``profile_w1.py --report`` of this checkout, and of ``baseline``'s packages.

    The two alternate (``rounds`` each) and each figure keeps its best, so
    before and after meet the machine in the same state; without git or the
    commit, *before* is the ``recorded`` report.
    """
    import json
    import os
    import subprocess

    from _common import REPO, SINGLE_THREAD_ENV, child_env, run_child

    args = [str(Path(__file__).resolve()), "--report", "--repeats", "3"]
    env = child_env(SINGLE_THREAD_ENV)
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as tmp:
        base_env = None
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", baseline, "packages"],
            capture_output=True,
            check=False,
        )
        if archive.returncode == 0:
            subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
            sources = [str(p) for p in sorted((Path(tmp) / "packages").glob("*/src"))]
            base_env = dict(env, PYTHONPATH=os.pathsep.join([*sources, env["PYTHONPATH"]]))
        after: list[dict[str, Any]] = []
        before: list[dict[str, Any]] = []
        for _ in range(rounds):
            if base_env is not None:
                before.append(run_child(sys.executable, args, env=base_env))
            after.append(run_child(sys.executable, args, env=env))
    profile = _best_of(after)
    if before:
        profile["before"] = _best_of(before)
        profile["before"]["note"] = f"packages of {baseline}, measured in the same run"
    elif recorded.exists():
        profile["before"] = json.loads(recorded.read_text())
    return profile


def _best_of(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """The last report, with each timing replaced by its best over ``reports``."""
    import json

    out = json.loads(json.dumps(reports[-1]))
    for variant in out["w1_best_us_per_iter"]:
        out["w1_best_us_per_iter"][variant] = min(
            r["w1_best_us_per_iter"][variant] for r in reports
        )
    for variant, stats in out["null_us_per_iter"].items():
        stats["min"] = min(r["null_us_per_iter"][variant]["min"] for r in reports)
    return out


# -- the report section of docs/benchmarks.md -------------------------------------------------
def _cell(value: float | None, fmt: str = "{:.2f}") -> str:
    return "–" if value is None else fmt.format(value)


def render(after: dict[str, Any], before: dict[str, Any] | None) -> list[str]:
    """Markdown for the profile section: before (if recorded) and after, side by side."""
    before = before or {}
    lines = [
        "## Profile: where W1's overhead goes",
        "",
        "`bench/profile_w1.py --report`, one process per report. *Before*: "
        f"{before.get('note', 'not recorded')}; *after*: this checkout. Null model: a `BaseModel` "
        "whose `train_step` returns a constant dict, trained on a list of "
        f"{after['null_iters']:,} ints and timed from `before_train_epoch` to "
        "`after_train_epoch`: the framework's own µs per iteration, without torch "
        "(minimum over in-process repeats).",
        "",
        "| null model, hooks | before µs/iter | after µs/iter |",
        "| --- | --- | --- |",
    ]
    old_null = before.get("null_us_per_iter", {})
    for variant, s in after["null_us_per_iter"].items():
        label = {"none": "none (`default_hooks_set='none'`)", "full": "full default set"}.get(
            variant, variant.replace("only:", "only ")
        )
        old = old_null.get(variant, {}).get("min")
        lines.append(f"| {label} | {_cell(old)} | {_cell(s['min'])} |")
    old_best = before.get("w1_best_us_per_iter", {})
    lines += [
        "",
        "W1 in one process, best of the interleaved repeats (µs/iteration; the "
        "cross-process medians of the W1 section are the reported figures):",
        "",
        "| variant | before | after |",
        "| --- | --- | --- |",
    ]
    for variant, us in after["w1_best_us_per_iter"].items():
        lines.append(f"| {variant} | {_cell(old_best.get(variant), '{:.0f}')} | {us:.0f} |")
    if "segments" in after:
        import w1_segments

        lines += ["", *w1_segments.render(after["segments"])]
        seg = after["segments"]["us_per_iter"]
        hooks = {v: seg[v]["before"] + seg[v]["after"] for v in seg}
        null_full = after["null_us_per_iter"]["full"]["min"]
        lines += [
            "Read with the null model above: the default hooks' own code, "
            f"{null_full:.1f} µs per iteration without torch, takes "
            f"{hooks['ours_full'] - hooks['ours_none']:.1f} µs next to torch's kernels "
            "(hooks before + after), and the model step runs "
            f"{seg['ours_full']['step'] - seg['ours_none']['step']:+.1f} µs slower with "
            "them than without: their code and data push torch's out of the caches (see "
            "the cachegrind counts below). Without hooks, our step (`ModuleAdapter."
            "train_step` and `OptimWrapper.update_params`, the same aten ops as the raw "
            "loop plus one `detach`) costs "
            f"{seg['ours_none']['step'] - seg['raw']['step']:+.1f} µs against the raw "
            "loop's four lines. Single runs of this table move by several µs on a quiet "
            "machine and by tens of µs on a busy one: compare its raw total with the raw "
            "loop's best in the table above.",
            "",
        ]
    cp, old_cp = after["cprofile"], before.get("cprofile", {})
    lines += [
        "",
        "cProfile of W1 with the full default set, training window only. cProfile "
        "charges every Python call, so it inflates the framework's share; the call counts "
        "are exact.",
        "",
        "| | before | after |",
        "| --- | --- | --- |",
        f"| Python + C calls per iteration, all | {_cell(old_cp.get('calls_per_iter'), '{:.0f}')} "
        f"| {cp['calls_per_iter']:.0f} |",
        f"| calls per iteration into our packages | "
        f"{_cell(old_cp.get('ours_calls_per_iter'), '{:.0f}')} | {cp['ours_calls_per_iter']:.0f} |",
        f"| own time in our packages, µs/iter (under cProfile) | "
        f"{_cell(old_cp.get('ours_own_us_per_iter'), '{:.1f}')} | {cp['ours_own_us_per_iter']:.1f} |",
        "",
    ]
    for title, key, column in (
        ("Our functions by cumulative time", "top_ours_cumulative", "cum_us"),
        ("All functions by own time", "top_own", "own_us"),
    ):
        for when, data in (("before", old_cp), ("after", cp)):
            rows = data.get(key)
            if not rows:
                continue
            lines += [
                f"{title}, {when} (µs/iteration under cProfile):",
                "",
                "| function | calls/iter | µs/iter |",
                "| --- | --- | --- |",
            ]
            for row in rows[:12]:
                name = row["function"].replace("|", "\\|")
                lines.append(f"| `{name}` | {row['calls_per_iter']:.2f} | {row[column]:.1f} |")
            lines.append("")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*", default=["raw", "ours_none", "ours_full"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cprofile", default=None, help="variant to run under cProfile")
    parser.add_argument("--report", action="store_true", help="the profile section's record")
    parser.add_argument("--null-repeats", type=int, default=5)
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args()
    import logging

    import torch

    torch.set_num_threads(1)
    logging.disable(logging.INFO)  # keep the terminal quiet; the hooks still format lines
    if args.report:
        from _common import write_json

        result = report(args.repeats, args.null_repeats)
        write_json(args.json_out, result)
        for row in result["cprofile"]["top_ours_cumulative"]:
            print(f"{row['cum_us']:8.1f} us/iter  {row['function']}")
        return
    loader = w1.make_loader()
    w1.raw_loop(loader, w1.make_mlp(), 200)
    if args.cprofile:
        stats = profile_train_window(args.cprofile, loader)
        stats.sort_stats("tottime").print_stats(30)
        return
    best = {v: min(one(v, loader) for _ in range(args.repeats)) for v in args.variants}
    iters = len(loader)
    base = best.get("raw")
    for variant, seconds in best.items():
        extra = ""
        if base and variant != "raw":
            extra = f"  x{seconds / base:.3f}, +{(seconds - base) / iters * 1e6:.1f} us/iter"
        print(f"{variant:10s} {seconds / iters * 1e6:7.1f} us/iter{extra}")


if __name__ == "__main__":
    main()
