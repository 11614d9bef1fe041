"""W1 on a CUDA GPU: the Runner's cost per iteration, and the device waits it adds.

The same job as ``w1_overhead.py`` (MLP 32-64-10, batch 32, 2,000 iterations,
a log line every 50), with the model on the GPU and each batch copied there.
On a GPU the step is kernel launches that run ahead of Python; what a framework
must not do is wait for the device every iteration (a ``.item()`` on the loss),
which would stall that pipeline. So besides µs per iteration this counts the
synchronizing CUDA calls of each variant's timed loop
(``torch.cuda.set_sync_debug_mode('warn')``): the raw loop has none, and the
default hooks should wait only when a log line reads the losses.

Variants (each round runs each in a fresh process, interleaved): ``raw``,
``ours_full`` (full default hook set), ``ours_none`` (``default_hooks_set='none'``)
and ``lightning`` (if installed). Needs a CUDA device; prints a JSON line per run
and a summary. Run: ``python bench/gpu_w1.py --rounds 3``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import w1_overhead as w1  # noqa: E402

VARIANTS = ("raw", "ours_full", "ours_none", "lightning")


def _raw_cuda(loader: Any, model: Any, max_iters: int | None = None) -> int:
    import itertools

    import torch
    import torch.nn.functional as F

    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    done = 0
    batches = loader if max_iters is None else itertools.islice(loader, max_iters)
    w1._marks["start"] = time.perf_counter()
    for inputs, targets in batches:
        inputs, targets = inputs.cuda(non_blocking=True), targets.cuda(non_blocking=True)
        loss = F.cross_entropy(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        done += 1
    torch.cuda.synchronize()
    w1._marks["stop"] = time.perf_counter()
    return done


def run_one(variant: str, count_syncs: bool) -> dict[str, Any]:
    """One timed run of ``variant`` (or, with ``count_syncs``, one counted run)."""
    import tempfile

    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    loader = w1.make_loader()
    _raw_cuda(loader, w1.make_mlp().cuda(), 200)  # warm-up: CUDA context, kernels
    w1._marks.clear()
    model = w1.make_mlp()
    with (
        tempfile.TemporaryDirectory(prefix="gpu-w1-") as work_dir,
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        if count_syncs:
            torch.cuda.set_sync_debug_mode("warn")
        if variant == "raw":
            done = _raw_cuda(loader, model.cuda())
        elif variant == "ours_full":
            done = w1.ours(loader, model, work_dir, None)
        elif variant == "ours_none":
            done = w1.ours(loader, model, work_dir, "none")
        elif variant == "lightning":
            done = w1.lightning_run(loader, model, work_dir, accelerator="gpu")
        else:
            raise SystemExit(f"unknown variant {variant!r}")
        torch.cuda.set_sync_debug_mode(0)
    syncs = [str(w.message) for w in caught if "called a synchronizing" in str(w.message)]
    seconds = w1._marks["stop"] - w1._marks["start"]
    return {
        "variant": variant,
        "iters": done,
        "us_per_iter": seconds / max(done, 1) * 1e6,
        "device": next(model.parameters()).device.type,
        "syncs": len(syncs) if count_syncs else None,
        "first_sync": syncs[0][:300] if syncs else None,
    }


def _child(variant: str, count_syncs: bool) -> dict[str, Any] | None:
    cmd = [sys.executable, __file__, "--child", variant]
    if count_syncs:
        cmd.append("--count-syncs")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        print(f"{variant}: failed (exit {proc.returncode}): {proc.stderr[-1500:]}")
        return None
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=VARIANTS)
    parser.add_argument("--count-syncs", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.count_syncs)))
        return
    times: dict[str, list[float]] = {v: [] for v in args.variants}
    for r in range(args.rounds):
        for v in args.variants:
            res = _child(v, False)
            if res is not None:
                times[v].append(res["us_per_iter"])
                print(json.dumps({"round": r, **res}), flush=True)
    for v in args.variants:
        res = _child(v, True)
        if res is not None:
            print(json.dumps({"syncs_of": v, **res}), flush=True)
    raw = statistics.median(times["raw"]) if times.get("raw") else None
    for v, ts in times.items():
        if ts:
            med = statistics.median(ts)
            ratio = f" x {med / raw:.3f} raw" if raw else ""
            print(f"{v}: median {med:.1f} us/iter [{min(ts):.1f}-{max(ts):.1f}]{ratio}")


if __name__ == "__main__":
    main()
