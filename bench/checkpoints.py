"""Checkpoints: save/load cost against bare torch, and resume time against resume position.

Save/load (``checkpoint_save.bench``, the checkpoint engineer's benchmark):
a 100 MB and a 1 GB state saved by ``save_checkpoint`` (temp file, fsync,
rename) against bare ``torch.save`` and ``torch.save`` + fsync of the same
content, and loaded by ``load_checkpoint`` (CRC-verified) against
``torch.load``.

Resume: an iteration-based run (200,000 samples, batch 4, so one epoch is
50,000 iterations and every position below is mid-epoch) saves checkpoints at
iterations 10, 1,000 and 10,000. Then ``runner-cli train --resume`` starts
from each, on a dataset whose ``__getitem__`` sleeps 1 ms: loading the skipped
batches would cost 4 ms each (40 s at 10,000). Measured: wall time from the
process start to the first resumed iteration, and from ``before_run`` (after
imports and building) to it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CFG = HERE / "configs" / "first_iter.py"
POSITIONS = (10, 1_000, 10_000)
DELAY = 0.001


def prepare(work_dir: str) -> None:
    """Train 10,000 fast iterations, saving at each resume position (child process)."""
    sys.path.insert(0, str(HERE))
    from runner_core import Config, Runner

    cfg = Config.fromfile(str(CFG))
    cfg.work_dir = work_dir
    cfg.train_cfg.max_iters = max(POSITIONS)
    cfg.custom_hooks = [{"type": "SaveAt", "iters": list(POSITIONS)}]
    cfg.default_hooks.logger.interval = 1000
    Runner.from_cfg(cfg).train()


def _resume_once(python: str, ckpt: Path, work: Path, env: dict[str, str]) -> dict[str, float]:
    cli = str(Path(python).with_name("runner-cli"))
    probe = work / "probe.json"
    probe.unlink(missing_ok=True)
    cmd = [
        cli,
        "train",
        str(CFG),
        "--work-dir",
        str(work),
        "--resume",
        str(ckpt),
        "--cfg-options",
        f"train_dataloader.dataset.delay={DELAY}",
    ]
    start = time.time()
    proc = subprocess.run(
        cmd, env=dict(env, BENCH_PROBE_FILE=str(probe)), capture_output=True, text=True
    )
    if not probe.exists():
        raise RuntimeError(f"resume from {ckpt} never reached an iteration:\n{proc.stderr[-3000:]}")
    record = json.loads(probe.read_text())
    return {
        "to_first_iter": record["first_iter"] - start,
        "before_run_to_first_iter": record["first_iter"] - record["before_run"],
        "resumed_at_iter": record["iter"],
    }


def measure_resume(repeats: int = 3, python: str | None = None) -> dict[str, Any]:
    from _common import child_env, summary

    python = python or sys.executable
    env = child_env()
    out: dict[str, Any] = {"positions": {}, "getitem_delay_s": DELAY, "batch_size": 4}
    with tempfile.TemporaryDirectory(prefix="resume-bench-") as tmp:
        ckpt_dir = Path(tmp) / "ckpts"
        subprocess.run(
            [python, __file__, "--prepare", str(ckpt_dir)],
            env=env,
            check=True,
            capture_output=True,
        )
        runs: dict[int, list[dict[str, float]]] = {p: [] for p in POSITIONS}
        for r in range(repeats):
            for pos in POSITIONS:
                work = Path(tmp) / f"resume_{pos}_{r}"
                work.mkdir()
                got = _resume_once(python, ckpt_dir / f"iter_{pos}.pth", work, env)
                runs[pos].append(got)
                print(
                    f"  resume round {r + 1}/{repeats} from iter {pos}: "
                    f"{got['to_first_iter']:.3f} s to the first iteration "
                    f"({got['before_run_to_first_iter'] * 1000:.0f} ms after before_run), "
                    f"resumed at iter {got['resumed_at_iter']}",
                    flush=True,
                )
    for pos, results in runs.items():
        out["positions"][str(pos)] = {
            "to_first_iter": summary([x["to_first_iter"] for x in results]),
            "before_run_to_first_iter": summary([x["before_run_to_first_iter"] for x in results]),
            "resumed_at_iter": sorted({int(x["resumed_at_iter"]) for x in results}),
            "loading_skipped_batches_would_cost_s": pos * 4 * DELAY,
        }
    return out


def measure_save_load(sizes_mb: list[int], repeats: int = 3) -> dict[str, Any]:
    import checkpoint_save

    out: dict[str, Any] = {"repeats": repeats, "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="ckpt-bench-", dir=None) as tmp:
        out["folder"] = str(Path(tmp).parent)
        for mb in sizes_mb:
            got = checkpoint_save.bench(mb, Path(tmp), repeats)
            from _common import summary

            out["sizes"][str(mb)] = {
                "file_gb": got["file_gb"],
                "seconds": {k: summary(v) for k, v in got["seconds"].items()},
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepare", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes-mb", type=int, nargs="+", default=[100, 1024])
    parser.add_argument("--skip-save-load", action="store_true")
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare)
        return
    sys.path.insert(0, str(HERE))
    from _common import write_json

    result: dict[str, Any] = {"resume": measure_resume(args.repeats)}
    if not args.skip_save_load:
        result["save_load"] = measure_save_load(args.sizes_mb, args.repeats)
    write_json(args.json_out, result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
