"""Benchmark: runner's atomic, durable save (and verified load) against bare torch.save.

Run on demand (not part of the tests)::

    python bench/checkpoint_save.py                 # 100 MB and 1 GB, in a temp dir
    python bench/checkpoint_save.py --sizes-mb 100 --repeats 5 --dir /mnt/ssd/tmp

Each variant runs ``--repeats`` times in rotating order and the median is
shown. The target file is deleted (untimed) before each run, so every
variant writes a fresh file. Use ``--dir`` on the disk your checkpoints go
to: fsync cost depends entirely on it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

from runner_core.checkpoint import load_checkpoint, save_checkpoint, verify_checkpoint


def _state(megabytes: int) -> dict:
    """A model-like state: a few large float tensors and some small ones."""
    numel = megabytes * 1024 * 1024 // 4
    big = [numel // 4] * 4
    gen = torch.Generator().manual_seed(0)
    state = {f"layer{i}.weight": torch.randn(n, generator=gen) for i, n in enumerate(big)}
    state.update({f"layer{i}.bias": torch.randn(256, generator=gen) for i in range(len(big))})
    return {"meta": {"epoch": 1, "iter": 100, "cfg": "x = 1\n" * 100}, "state_dict": state}


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _time(fn: Callable[[], object], before: Callable[[], object] | None = None) -> float:
    if before is not None:
        before()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench(megabytes: int, folder: Path, repeats: int) -> dict:
    state = _state(megabytes)
    path = folder / "bench.pth"

    def clear() -> None:
        path.unlink(missing_ok=True)
        os.sync()

    def bare() -> None:
        torch.save(state, path)

    def bare_fsync() -> None:
        torch.save(state, path)
        _fsync_file(path)

    saves: dict[str, Callable[[], object]] = {
        "torch.save (no fsync)": bare,
        "torch.save + fsync": bare_fsync,
        "save_checkpoint(fsync=False)": lambda: save_checkpoint(state, path, fsync=False),
        "save_checkpoint(fsync=True)": lambda: save_checkpoint(state, path),
    }
    times: dict[str, list[float]] = {name: [] for name in saves}
    names = list(saves)
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            times[name].append(_time(saves[name], clear))

    save_checkpoint(state, path)
    loads: dict[str, Callable[[], object]] = {
        "torch.load(weights_only=True)": lambda: torch.load(path, weights_only=True),
        "verify_checkpoint (CRC pass)": lambda: verify_checkpoint(path),
        "load_checkpoint(verify=True)": lambda: load_checkpoint(path),
    }
    for name, fn in loads.items():
        times[name] = [_time(fn) for _ in range(repeats)]

    size = path.stat().st_size / 1e9
    path.unlink()
    base = statistics.median(times["torch.save (no fsync)"])
    base_fsync = statistics.median(times["torch.save + fsync"])
    base_load = statistics.median(times["torch.load(weights_only=True)"])
    print(f"\n{megabytes} MB state ({size:.3f} GB file), median of {repeats}, in {folder}")
    for name, values in times.items():
        med = statistics.median(values)
        if name.startswith("save_checkpoint"):
            ref = base_fsync if "True" in name else base
            note = f"x{med / ref:.2f} of {'torch.save + fsync' if 'True' in name else 'torch.save'}"
            if "True" in name:
                note += f", x{med / base:.2f} of torch.save without fsync"
        elif name.startswith(("verify", "load_checkpoint")):
            note = f"x{med / base_load:.2f} of torch.load"
        else:
            note = ""
        spread = f"[{min(values):.3f}-{max(values):.3f}]"
        print(f"  {name:32s} {med:7.3f} s  {spread:15s} {size / med:5.2f} GB/s  {note}")
    return {"file_gb": size, "seconds": times}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-mb", type=int, nargs="+", default=[100, 1024])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None, help="folder to write in")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="ckpt-bench-") as tmp:
        for megabytes in args.sizes_mb:
            bench(megabytes, Path(tmp), args.repeats)


if __name__ == "__main__":
    main()
