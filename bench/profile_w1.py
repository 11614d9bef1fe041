"""Profile the W1 job in one process: where does our per-iteration time go?

    python bench/profile_w1.py                      # best of 5, raw / ours_none / ours_full
    python bench/profile_w1.py --cprofile ours_full # cProfile one variant, top 30 by own time

Repeating in one process and keeping the best run filters out a busy
machine's noise, so small differences (a few microseconds per iteration)
show; ``w1_overhead.py`` gives the numbers that are reported.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import w1_overhead as w1  # noqa: E402


def one(variant: str, loader: object) -> float:
    w1._marks.clear()
    model = w1.make_mlp()
    with tempfile.TemporaryDirectory(prefix="w1-") as work_dir:
        if variant == "raw":
            w1.raw_loop(loader, model, len(loader))  # type: ignore[arg-type]
        elif variant == "ours_full":
            w1.ours(loader, model, work_dir, None)
        elif variant == "ours_none":
            w1.ours(loader, model, work_dir, "none")
        else:
            raise SystemExit(f"unknown variant {variant!r}")
    return w1._marks["stop"] - w1._marks["start"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*", default=["raw", "ours_none", "ours_full"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cprofile", default=None, help="variant to run under cProfile")
    args = parser.parse_args()
    import logging

    import torch

    torch.set_num_threads(1)
    logging.disable(logging.INFO)  # keep the terminal quiet; the hooks still format lines
    loader = w1.make_loader()
    w1.raw_loop(loader, w1.make_mlp(), 200)
    if args.cprofile:
        profiler = cProfile.Profile()
        profiler.enable()
        one(args.cprofile, loader)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
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
