"""DDP on 2 CPU processes (gloo, torchrun): our Runner against a raw DDP loop.

The W1 job (MLP 32-64-ReLU-10, 64,000 synthetic samples, batch 32 per rank,
SGD with momentum, one torch thread per rank) for one epoch on 2 ranks
(1,000 iterations each) under ``torchrun --standalone --nproc_per_node 2``.

* ``raw``: ``DistributedDataParallel`` + ``DistributedSampler`` + the plain
  forward/backward/step loop.
* ``ours``: ``Runner(launcher='pytorch')`` with the full default hook set
  (log line every 50 iterations, no checkpoint while timed).

Rank 0 times from training start to its end (our ``before_train`` /
``after_train``, around the loop for raw); each round runs each variant in a
fresh ``torchrun``, interleaved. Per-iteration work specific to distributed
runs (collectives, syncs) shows up here and not in W1.

Run alone: ``python bench/ddp.py --rounds 3``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

N_SAMPLES = 64_000
BATCH = 32
LOG_INTERVAL = 50
NPROC = 2
VARIANTS = ("raw", "ours")
RATIO_TARGET = 1.05

_clock = time.perf_counter
_marks: dict[str, float] = {}


def make_dataset() -> Any:
    import torch
    from torch.utils.data import TensorDataset

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(N_SAMPLES, 32, generator=gen)
    y = torch.randint(0, 10, (N_SAMPLES,), generator=gen)
    return TensorDataset(x, y)


def make_mlp() -> Any:
    import torch
    from torch import nn

    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 10))


def raw_ddp(dataset: Any) -> int:
    import torch
    import torch.distributed as dist
    import torch.nn.functional as F
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader, DistributedSampler

    dist.init_process_group("gloo")
    model = DistributedDataParallel(make_mlp())
    sampler = DistributedSampler(dataset, shuffle=True, seed=0)
    loader = DataLoader(dataset, batch_size=BATCH, sampler=sampler)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    done = 0
    dist.barrier()
    _marks["start"] = _clock()
    for inputs, targets in loader:
        loss = F.cross_entropy(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        done += 1
    _marks["stop"] = _clock()
    dist.destroy_process_group()
    return done


def ours(dataset: Any, work_dir: str) -> int:
    import torch.distributed as dist

    from runner_core import Runner
    from runner_core.hooks import Hook

    class StartClock(Hook):
        priority = "HIGHEST"

        def before_train(self) -> None:
            dist.barrier()
            _marks["start"] = _clock()

    class StopClock(Hook):
        priority = "LOWEST"

        def after_train(self) -> None:
            _marks["stop"] = _clock()

    runner = Runner(
        model=make_mlp(),
        work_dir=work_dir,
        train_dataloader={
            "dataset": dataset,
            "batch_size": BATCH,
            "sampler": {"type": "DefaultSampler", "shuffle": True},
        },
        train_cfg={"by_epoch": True, "max_epochs": 1},
        optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9}},
        default_hooks={
            "logger": {"interval": LOG_INTERVAL},
            "checkpoint": {"interval": 10**9, "save_last": False},
        },
        custom_hooks=[StartClock(), StopClock()],
        launcher="pytorch",
        env_cfg={"dist_cfg": {"backend": "gloo"}},
        log_level="WARNING",
    )
    runner.train()
    done = runner.iter
    dist.destroy_process_group()
    return done


def run_one(variant: str, json_out: str | None) -> None:
    """One rank of one variant (under torchrun); rank 0 writes the result."""
    import torch
    from _common import write_json

    torch.set_num_threads(1)
    dataset = make_dataset()
    rank = int(os.environ.get("RANK", "0"))
    if variant == "raw":
        done = raw_ddp(dataset)
    else:
        # every rank needs a work_dir; the Runner shares rank 0's run folder name
        with tempfile.TemporaryDirectory(prefix=f"ddp-r{rank}-") as work_dir:
            done = ours(dataset, work_dir)
    if rank == 0:
        seconds = _marks["stop"] - _marks["start"]
        write_json(
            json_out,
            {
                "variant": variant,
                "seconds": seconds,
                "iters": done,
                "us_per_iter": seconds / max(done, 1) * 1e6,
            },
        )


def measure(rounds: int = 5) -> dict[str, Any]:
    """Interleaved rounds of both variants under torchrun; ratios to raw per round."""
    from _common import SINGLE_THREAD_ENV, child_env, run_child, summary

    env = child_env(SINGLE_THREAD_ENV)
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    launch = ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={NPROC}"]
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in VARIANTS}
    for r in range(rounds):
        order = list(VARIANTS) if r % 2 == 0 else list(reversed(VARIANTS))
        for variant in order:
            got = run_child(sys.executable, [*launch, __file__, "--child", variant], env=env)
            runs[variant].append(got)
            print(
                f"  ddp round {r + 1}/{rounds} {variant:5s} {got['seconds']:.3f} s "
                f"({got['us_per_iter']:.0f} us/iter)",
                flush=True,
            )
    raw = [x["seconds"] for x in runs["raw"]]
    out: dict[str, Any] = {"rounds": rounds, "nproc": NPROC, "variants": {}}
    for variant, results in runs.items():
        times = [x["seconds"] for x in results]
        iters = results[0]["iters"]
        e: dict[str, Any] = {
            "seconds": summary(times),
            "us_per_iter": summary([t / iters * 1e6 for t in times]),
            "iters": iters,
        }
        if variant != "raw":
            e["ratio_to_raw"] = summary([t / b for t, b in zip(times, raw)])
            e["overhead_us_per_iter"] = summary([(t - b) / iters * 1e6 for t, b in zip(times, raw)])
        out["variants"][variant] = e
    return out


def render(result: dict[str, Any]) -> tuple[list[str], list[tuple[str, str, bool]]]:
    """The markdown section and its target for docs/benchmarks.md."""
    lines = [
        "## DDP on 2 CPU processes",
        "",
        f"The W1 job on {result['nproc']} ranks (gloo, `torchrun --standalone`), batch {BATCH} "
        "per rank, one thread per rank, one epoch; rank 0's training time. "
        f"{result['rounds']} interleaved rounds, a fresh `torchrun` each.",
        "",
        "| variant | wall time (s) | µs / iteration | × raw (per round) | overhead µs / iteration |",
        "| --- | --- | --- | --- | --- |",
    ]
    labels = {"raw": "raw DDP loop (floor)", "ours": "ours, full default hooks"}
    for name, e in result["variants"].items():
        s = e["seconds"]
        ratio = over = "—"
        if "ratio_to_raw" in e:
            q = e["ratio_to_raw"]
            ratio = f"{q['median']:.3f} [{q['min']:.3f}–{q['max']:.3f}]"
            o = e["overhead_us_per_iter"]
            over = f"{o['median']:+.0f} [{o['min']:+.0f}–{o['max']:+.0f}]"
        lines.append(
            f"| {labels.get(name, name)} | {s['median']:.3f} [{s['min']:.3f}–{s['max']:.3f}] | "
            f"{e['us_per_iter']['median']:.0f} | {ratio} | {over} |"
        )
    lines.append("")
    got = result["variants"]["ours"]["ratio_to_raw"]["median"]
    target = (
        f"DDP (2 CPU ranks) ≤ {RATIO_TARGET} × raw DDP loop",
        f"× {got:.3f}",
        got <= RATIO_TARGET,
    )
    return lines, [target]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=VARIANTS, help="run one variant (under torchrun)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    if args.child:
        run_one(args.child, args.json_out)
        return
    from _common import write_json

    result = measure(args.rounds)
    write_json(args.json_out, result)
    print("\n".join(render(result)[0]))


if __name__ == "__main__":
    main()
