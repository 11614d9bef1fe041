"""Benchmark: how long a save stalls training, synchronous against ``async_save``.

Run on demand (not part of the tests)::

    python bench/checkpoint_async.py                    # 100 MB and 1 GB states
    python bench/checkpoint_async.py --sizes-mb 100 --repeats 5 --dir /mnt/ssd/tmp

A Runner whose model holds a state of the given size saves through
``runner.save_checkpoint`` (what ``CheckpointHook`` calls at its hook point),
synchronously and with a ``BackgroundWriter``, in alternating order. The
stall is the time that call blocks training: the whole atomic fsynced write
when synchronous, the copy of the state to host memory when asynchronous
(the previous background write is awaited untimed first, as saves are far
apart in a real run, and 50 ms of matrix products stand for the training
between saves). The first async save, which also allocates the host copy,
is timed on its own. Also reported: how long the background write takes,
the extra peak memory of a save (peak RSS during the save minus RSS
before it, measured after resetting the peak through /proc/self/clear_refs),
and the memory the async writer keeps between saves (its reusable host
copy: RSS after the rounds minus RSS before the first save).
Each size runs in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _train_a_moment(seconds: float = 0.05) -> None:
    """Keep the cores busy for a moment, as training does between two saves.

    Without it the process sits idle in ``wait()`` and the scheduler may put
    torch's copy threads on one core afterwards: the host copy then took
    8-33 ms instead of a steady 8 ms (100 MB, 2 cores).
    """
    import torch

    matrix = torch.ones(256, 256)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        matrix @ matrix


def child(megabytes: int, repeats: int, folder: str, ema: bool = False) -> dict[str, Any]:
    """One process, one state size: interleaved sync and async saves (with ``ema``, an
    ``EMAHook`` adds its average of the weights to each checkpoint)."""
    import torch
    from torch import nn

    from runner_core import Runner
    from runner_core.checkpoint import BackgroundWriter

    class Holder(nn.Module):
        """A model whose state is ``megabytes`` of float32 weights (a few big tensors)."""

        def __init__(self) -> None:
            super().__init__()
            numel = megabytes * 1024 * 1024 // 4 // 4
            gen = torch.Generator().manual_seed(0)
            self.layers = nn.ParameterList(
                nn.Parameter(torch.randn(numel, generator=gen)) for _ in range(4)
            )

        def forward(self, *args: Any, **kwargs: Any) -> Any:
            return {}

    work = Path(folder)
    hooks = []
    if ema:
        from runner_hooks_standard import EMAHook

        hooks = [EMAHook()]
    runner = Runner(
        model=Holder(), work_dir=work, visualizer=False, log_level="WARNING", custom_hooks=hooks
    )
    for hook in hooks:
        hook.before_run(runner)  # builds the average; saves then carry it
    writer = BackgroundWriter()
    stalls: dict[str, list[float]] = {"sync": [], "async": []}
    written: list[float] = []
    peak_mb: dict[str, list[float]] = {"sync": [], "async": []}
    can_peak = _reset_peak()
    rss_start = _kb("VmRSS")
    # the first async save also allocates (and page-faults) the host copy: timed on its own
    start = time.perf_counter()
    runner.save_checkpoint(
        work, "first.pth", save_optimizer=False, update_pointer=False, background=writer
    )
    first_stall = time.perf_counter() - start
    writer.wait()
    (work / "first.pth").unlink(missing_ok=True)
    for r in range(repeats):
        for mode in ("sync", "async") if r % 2 == 0 else ("async", "sync"):
            name = f"{mode}_{r}.pth"
            (work / name).unlink(missing_ok=True)
            os.sync()
            _train_a_moment()
            before = _kb("VmRSS")
            _reset_peak()
            start = time.perf_counter()
            if mode == "sync":
                runner.save_checkpoint(work, name, save_optimizer=False, update_pointer=False)
                stalls[mode].append(time.perf_counter() - start)
            else:
                runner.save_checkpoint(
                    work, name, save_optimizer=False, update_pointer=False, background=writer
                )
                stalls[mode].append(time.perf_counter() - start)
                writer.wait()
                written.append(time.perf_counter() - start)
            if can_peak:
                peak_mb[mode].append((_kb("VmHWM") - before) / 1024)
            (work / name).unlink(missing_ok=True)
    writer.wait()
    return {
        "state_mb": megabytes,
        "first_async_stall_s": first_stall,
        "held_rss_mb": (_kb("VmRSS") - rss_start) / 1024,
        "stall_s": stalls,
        "async_total_s": written,
        "extra_peak_rss_mb": peak_mb if can_peak else None,
    }


def measure(
    sizes_mb: list[int], repeats: int = 3, folder: str | None = None, ema: bool = False
) -> dict[str, Any]:
    """Each size in a fresh process; medians, spreads and the async/sync stall ratio."""
    sys.path.insert(0, str(HERE))
    from _common import summary

    out: dict[str, Any] = {"repeats": repeats, "ema": ema, "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="ckpt-async-", dir=folder) as tmp:
        out["folder"] = str(Path(tmp).parent)
        for mb in sizes_mb:
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(mb), str(repeats), tmp]
                + (["--ema"] if ema else []),
                capture_output=True,
                text=True,
                check=True,
            )
            raw = json.loads(done.stdout.strip().splitlines()[-1])
            ratios = [a / s for a, s in zip(raw["stall_s"]["async"], raw["stall_s"]["sync"])]
            peaks = raw["extra_peak_rss_mb"]
            out["sizes"][str(mb)] = {
                "sync_stall_s": summary(raw["stall_s"]["sync"]),
                "async_stall_s": summary(raw["stall_s"]["async"]),
                "async_write_s": summary(raw["async_total_s"]),
                "stall_ratio": summary(ratios),
                "first_async_stall_s": raw["first_async_stall_s"],
                "held_rss_mb": raw["held_rss_mb"],
                "extra_peak_rss_mb": (
                    {k: summary(v) for k, v in peaks.items()} if peaks is not None else None
                ),
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-mb", type=int, nargs="+", default=[100, 1024])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", default=None, help="folder to write in")
    parser.add_argument("--ema", action="store_true", help="with an EMAHook's average")
    parser.add_argument("--child", nargs=3, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mb, repeats, folder = args.child
        print(json.dumps(child(int(mb), int(repeats), folder, args.ema)))
        return
    print(json.dumps(measure(args.sizes_mb, args.repeats, args.dir, args.ema), indent=2))


if __name__ == "__main__":
    main()
