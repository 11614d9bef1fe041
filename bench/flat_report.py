"""Markdown and growth verdicts for ``flat_cost.py``'s sections of docs/benchmarks.md.

Each ``render_*`` takes the section's JSON and returns its lines and its rows
of the page's targets table (target, result, met).
"""

from __future__ import annotations

from typing import Any

HOOK_TARGET_US = 1.0
IDLE_TARGET_US = 0.1
LABELS = {"raw": "raw loop", "ours": "ours", "mmengine": "MMEngine", "lightning": "Lightning"}
Target = tuple[str, str, bool]


def _r(s: dict[str, float], fmt: str = "{:.0f}") -> str:
    return f"{fmt.format(s['median'])} [{fmt.format(s['min'])}–{fmt.format(s['max'])}]"


def render_hooks(h: dict[str, Any]) -> tuple[list[str], list[Target]]:
    counts = h["counts"]
    lines = [
        "## Extra hooks",
        "",
        f"W1's job, {h['iters']:,} iterations, iteration-based, ours with the full default "
        f"set; {h['rounds']} interleaved round(s). `noop`: extra hooks with an empty "
        "`after_train_iter` (Lightning: `on_train_batch_end`); `idle`: hooks that "
        "implement only `before_train` (`on_train_start`). µs/iteration, median [min–max]; "
        "the per-hook cost is the slope of a least-squares line through the counts, per "
        "round. For ours, a short profiled run also counts the calls into the extra "
        "hooks' per-iteration points (their own or the inherited no-ops): the proof that "
        "hooks without such a point are never visited, which a slope within noise cannot "
        "give.",
        "",
        "| framework | kind | "
        + " | ".join(f"{c} hooks" for c in counts)
        + " | µs per hook per iteration |",
        "| --- | --- | " + " | ".join("---" for _ in counts) + " | --- |",
    ]
    targets: list[Target] = []
    for fw, kinds in h["frameworks"].items():
        for kind, e in kinds.items():
            cells = [
                _r(e["us_per_iter"][str(c)]) if str(c) in e["us_per_iter"] else "" for c in counts
            ]
            slope = e["us_per_hook_per_iter"]
            lines.append(
                f"| {LABELS.get(fw, fw)} | {kind} | "
                + " | ".join(cells)
                + f" | {_r(slope, '{:+.2f}')} |"
            )
    for fw, why in h.get("skipped", {}).items():
        lines.append(f"| {LABELS.get(fw, fw)} | not run: {why} | |")
    lines.append("")
    for kind, c in h.get("ours_iteration_calls", {}).items():
        lines.append(
            f"- ours, {c['hooks']} `{kind}` hooks, {c['iters']} iterations: "
            f"{c['calls']:,} calls into their per-iteration points."
        )
    if h.get("ours_iteration_calls"):
        lines.append("")
    ours = h["frameworks"].get("ours")
    if ours:
        noop = ours["noop"]["us_per_hook_per_iter"]["median"]
        idle = ours["idle"]["us_per_hook_per_iter"]["median"]
        called = h.get("ours_iteration_calls", {}).get("idle")
        targets.append(
            (
                f"a no-op hook costs ≤ {HOOK_TARGET_US} µs per iteration",
                f"{noop:+.2f} µs/hook/iter (grows linearly with the hooks that run)",
                noop <= HOOK_TARGET_US,
            )
        )
        targets.append(
            (
                "a hook without per-iteration points costs 0 per iteration",
                (
                    f"{called['calls']} calls into {called['hooks']} such hooks over "
                    f"{called['iters']} iterations (profiled); the timed slope {idle:+.2f} "
                    "µs/hook/iter is noise"
                    if called
                    else f"{idle:+.2f} µs/hook/iter"
                ),
                called["calls"] == 0 if called else idle <= IDLE_TARGET_US,
            )
        )
    return lines, targets


def render_length(le: dict[str, Any]) -> tuple[list[str], list[Target]]:
    lengths = le["lengths"]
    lines = [
        "## Run length",
        "",
        f"W1's job, iteration-based, {le['rounds']} run(s) per cell (the best kept). "
        f"µs/iteration over the whole run / over its last {le['tail']:,} iterations, and "
        "the process's peak RSS (MB) when training ended. Peers run up to "
        f"{le['peer_max_iters']:,} iterations.",
        "",
        "| framework | " + " | ".join(f"{n:,} iterations" for n in lengths) + " |",
        "| --- | " + " | ".join("---" for _ in lengths) + " |",
    ]
    for fw, by_len in le["frameworks"].items():
        cells = []
        for n in lengths:
            e = by_len.get(str(n))
            cells.append(
                f"{e['us_per_iter']:.0f} / {e['tail_us_per_iter']:.0f} µs, {e['peak_rss_mb']:.0f} MB"
                if e
                else "not run"
            )
        lines.append(f"| {LABELS.get(fw, fw)} | " + " | ".join(cells) + " |")
    for fw, why in le.get("skipped", {}).items():
        lines.append(f"| {LABELS.get(fw, fw)} | not run: {why} |")
    lines.append("")
    targets: list[Target] = []
    ours = le["frameworks"].get("ours", {})
    raw = le["frameworks"].get("raw", {})
    have = [str(n) for n in lengths if str(n) in ours]
    if len(have) >= 2:
        first, last = ours[have[0]], ours[have[-1]]

        # relative to the raw loop of the same length: the machine's state cancels out
        def over(e: dict[str, Any], n: str) -> float:
            return (
                e["tail_us_per_iter"] - raw[n]["tail_us_per_iter"]
                if n in raw
                else e["tail_us_per_iter"]
            )

        grow_us = over(last, have[-1]) - over(first, have[0])
        grow_mb = last["peak_rss_mb"] - first["peak_rss_mb"]
        flat = grow_us <= 0.1 * first["tail_us_per_iter"] and grow_mb <= 20
        targets.append(
            (
                f"µs/iteration and peak RSS flat from {int(have[0]):,} to {int(have[-1]):,} iterations",
                f"overhead over raw in the last {le['tail']:,} iterations {grow_us:+.0f} µs, "
                f"peak RSS {grow_mb:+.0f} MB",
                flat,
            )
        )
    return lines, targets


def render_model_size(ms: dict[str, Any]) -> tuple[list[str], list[Target]]:
    labels = [s[0] for s in ms["sizes"]]
    lines = [
        "## Model size",
        "",
        "MLPs 32→hidden→…→10 on W1's data, "
        + ", ".join(
            f"{s[0]}: hidden {s[1]} × {s[2]} layer(s), {s[3]} iterations" for s in ms["sizes"]
        )
        + f"; {ms['rounds']} interleaved round(s). Overhead over the raw loop in µs/iteration, "
        "per round, median [min–max] (the raw step's own noise grows with its length; "
        "constant means within 20 µs or 1 % of the raw step of the smallest model's).",
        "",
        "| framework | " + " | ".join(f"{label} step" for label in labels) + " |",
        "| --- | " + " | ".join("---" for _ in labels) + " |",
    ]
    for fw, by_size in ms["frameworks"].items():
        if fw == "raw":
            cells = [f"{_r(by_size[lb]['us_per_iter'])} µs/iter" for lb in labels]
        else:
            cells = [
                f"{_r(by_size[lb]['overhead_us_per_iter'], '{:+.0f}')} "
                f"(× {by_size[lb]['ratio_to_raw']['median']:.3f})"
                for lb in labels
            ]
        lines.append(f"| {LABELS.get(fw, fw)} | " + " | ".join(cells) + " |")
    for fw, why in ms.get("skipped", {}).items():
        lines.append(f"| {LABELS.get(fw, fw)} | not run: {why} |")
    lines.append("")
    targets: list[Target] = []
    ours = ms["frameworks"].get("ours")
    if ours:
        small = ours[labels[0]]["overhead_us_per_iter"]["median"]
        raw = ms["frameworks"]["raw"]
        # constant within noise: each size's best round is within 20 µs (or 1 % of its raw
        # step, the step's own noise) of the small model's overhead
        flat = all(
            ours[lb]["overhead_us_per_iter"]["min"]
            <= small + max(20.0, 0.01 * raw[lb]["us_per_iter"]["median"])
            for lb in labels
        )
        targets.append(
            (
                "overhead constant in the model size",
                ", ".join(
                    f"{lb}: {ours[lb]['overhead_us_per_iter']['median']:+.0f} µs" for lb in labels
                ),
                flat,
            )
        )
    return lines, targets
