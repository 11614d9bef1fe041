"""GPU figures in the benchmarks page: recorded from ``bench/gpu_check.sh``'s output.

The GPU checks run on a lent device machine (not where ``run_all.py`` runs),
so their results are recorded here, from the files the check wrote, into
``docs/benchmarks.json`` (key ``gpu``), and ``run_all.py`` renders them as
the page's GPU section::

    python bench/gpu_report.py --dir /work/.device/2 --label "after 3f34a48" \\
        --machine "NVIDIA H200, torch 2.11.0+cu130" --date 2026-12-04

Each call adds one run; ``--note`` adds a line under the section.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
JSON = HERE.parent / "docs" / "benchmarks.json"


def _json_in(text: str) -> Any:
    """The JSON document in ``text`` (tee'd output: it starts at the first '{')."""
    return json.loads(text[text.index("{") :])


def read_run(folder: Path) -> dict[str, Any]:
    """The async-checkpoint and W1 results a ``gpu_check.sh`` run left in ``folder``."""
    run: dict[str, Any] = {}
    for key in ("ckpt_async", "ckpt_async_ema"):  # the second: with an EMAHook (--ema)
        ckpt = folder / f"{key}.json"
        if ckpt.exists():
            run[key] = _json_in(ckpt.read_text())
    w1 = folder / "gpu_w1.log"
    if w1.exists():
        rounds: dict[str, list[float]] = {}
        syncs: dict[str, int] = {}
        for line in w1.read_text().splitlines():
            if not line.startswith("{"):
                continue
            rec = json.loads(line)
            if "syncs_of" in rec:
                syncs[rec["variant"]] = rec["syncs"]
            elif "round" in rec:
                rounds.setdefault(rec["variant"], []).append(rec["us_per_iter"])
        run["w1_us_per_iter"] = rounds
        run["w1_syncs"] = syncs
    return run


def _s(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def render_gpu(result: dict[str, Any]) -> list[str]:
    """The page's GPU section ([] when no GPU run was recorded)."""
    gpu = result.get("gpu")
    if not gpu or not gpu.get("runs"):
        return []
    lines = [
        "## On a GPU",
        "",
        "Recorded by `bench/gpu_report.py` from `bench/gpu_check.sh` runs on a lent device "
        "machine (not the machine above); medians `[min–max]` over the repeats.",
        "",
        "Async checkpoint saves of a CUDA state (`bench/checkpoint_async.py`: the model's "
        "weights on the GPU; the stall is what training waits for):",
        "",
        "| run | state | sync save stall | async stall | stall ratio | background write | "
        "first async save | extra peak RSS (sync / async) | host memory kept |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run, key, what in (
        (run, key, what)
        for run in gpu["runs"]
        for key, what in (("ckpt_async", ""), ("ckpt_async_ema", " + EMAHook"))
    ):
        for mb, size in run.get(key, {}).get("sizes", {}).items():
            sync, asyn, ratio = size["sync_stall_s"], size["async_stall_s"], size["stall_ratio"]
            peak = size.get("extra_peak_rss_mb") or {}
            peaks = " / ".join(
                f"{peak[k]['median']:.0f} MB" if k in peak else "—" for k in ("sync", "async")
            )
            lines.append(
                f"| {run['label']} | {mb} MB{what} | {_s(sync['median'])} [{_s(sync['min'])}–"
                f"{_s(sync['max'])}] | {_s(asyn['median'])} [{_s(asyn['min'])}–"
                f"{_s(asyn['max'])}] | {ratio['median']:.3f} [{ratio['min']:.3f}–"
                f"{ratio['max']:.3f}] | {_s(size['async_write_s']['median'])} | "
                f"{_s(size['first_async_stall_s'])} | {peaks} | {size['held_rss_mb']:.0f} MB |"
            )
    w1_rows = [run for run in gpu["runs"] if run.get("w1_us_per_iter") or run.get("w1_syncs")]
    if w1_rows:
        lines += [
            "",
            "W1 on the GPU (`bench/gpu_w1.py`: the model on the GPU, each batch copied there; "
            "µs per iteration of each round, and the synchronising CUDA calls counted by "
            "`torch.cuda.set_sync_debug_mode('warn')` over the 2,000 iterations):",
            "",
            "| run | variant | µs/iter (rounds) | synchronising calls |",
            "| --- | --- | --- | --- |",
        ]
        for run in w1_rows:
            times, syncs = run.get("w1_us_per_iter", {}), run.get("w1_syncs", {})
            for variant in dict.fromkeys([*times, *syncs]):
                shown = ", ".join(f"{t:,.0f}" for t in times.get(variant, [])) or "—"
                count = syncs.get(variant)
                lines.append(
                    f"| {run['label']} | {variant} | {shown} | "
                    f"{'—' if count is None else f'{count:,}'} |"
                )
    lines += ["", *(f"- {note}" for note in gpu.get("notes", [])), ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="a gpu_check.sh run's output folder")
    parser.add_argument("--label", help="what this run measured (e.g. the commit)")
    parser.add_argument("--machine", default="")
    parser.add_argument("--date", default="")
    parser.add_argument("--note", action="append", default=[])
    parser.add_argument("--json", type=Path, default=JSON)
    args = parser.parse_args()
    result = json.loads(args.json.read_text())
    gpu = result.setdefault("gpu", {"runs": [], "notes": []})
    if args.dir is not None:
        run = read_run(args.dir)
        label = args.label or args.dir.name
        run.update(label=f"{label} ({args.machine}, {args.date})".replace(" (, )", ""))
        gpu["runs"].append(run)
    gpu["notes"] += args.note
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"recorded in {args.json}; re-render with: python bench/run_all.py --render-only")


if __name__ == "__main__":
    main()
