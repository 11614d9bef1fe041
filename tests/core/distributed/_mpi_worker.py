"""One rank of a hand-made ``mpirun``: OpenMPI's variables come from the test, not from mpirun.

Usage: ``python _mpi_worker.py OUT WORK_DIR [none]``. It trains a tiny
classifier with ``Runner(launcher='mpi')`` (which calls ``init_dist('mpi')``),
all-reduces ``rank + 1`` and writes what this rank saw to ``OUT/rank<R>.json``.
With ``none`` it trains the same model alone at the same global batch and
writes ``OUT/single.json``: the reference the ranks must match.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import torch
from torch import nn

from runner_core.model import ModuleAdapter
from runner_core.registry import DEFAULT_HOOK_SETS
from runner_core.runner import Runner

BATCH = 8  # global batch: 8 in one process, 4 on each of two ranks
SAMPLES = 32


def dataset() -> list[tuple[torch.Tensor, int]]:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(SAMPLES, 4, generator=g)
    y = (x[:, 0] + x[:, 1] > 0).long()
    return [(x[i], int(y[i])) for i in range(SAMPLES)]


def train(launcher: str, world_size: int, work_dir: str) -> Runner:
    """Train 2 epochs (8 iterations in all at global batch 8) and return the Runner."""
    DEFAULT_HOOK_SETS.register_module(name="bare", module=lambda: {}, force=True)
    torch.manual_seed(0)
    runner = Runner(
        model=ModuleAdapter(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))),
        work_dir=work_dir,
        train_dataloader={
            "dataset": dataset(),
            "batch_size": BATCH // world_size,
            "sampler": {"type": "DefaultSampler", "shuffle": True, "seed": 3},
        },
        train_cfg={"max_epochs": 2},
        optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.1}},
        launcher=launcher,
        env_cfg={"dist_cfg": {"backend": "gloo", "timeout": 60}},
        randomness={"seed": 0},
        default_hooks_set="bare",
        log_level="WARNING",
    )
    runner.train()
    return runner


def main(out: Path, work_dir: str) -> None:
    from runner_core import distributed as dist

    inferred = dist.infer_launcher()  # before init_dist adds torchrun's variables
    runner = train("mpi", int(os.environ["OMPI_COMM_WORLD_SIZE"]), work_dir)
    total = torch.tensor([float(runner.rank + 1)])
    dist.all_reduce(total)
    report: dict[str, Any] = {
        "rank": runner.rank,
        "world_size": runner.world_size,
        "dist_info": list(dist.get_dist_info()),
        "local_rank": dist.get_local_rank(),
        "local_size": dist.get_local_size(),
        "backend": dist.get_backend(),
        "env": {k: os.environ.get(k) for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_PORT")},
        "infer_launcher": inferred,
        "all_reduce": total.item(),
        "iter": runner.iter,
        "model_type": type(runner.model).__name__,
        "state": {k: v.tolist() for k, v in runner.unwrapped_model.state_dict().items()},
    }
    (out / f"rank{runner.rank}.json").write_text(json.dumps(report))
    torch.distributed.destroy_process_group()


def single(out: Path, work_dir: str) -> None:
    runner = train("none", 1, work_dir)
    state = {k: v.tolist() for k, v in runner.unwrapped_model.state_dict().items()}
    (out / "single.json").write_text(json.dumps({"iter": runner.iter, "state": state}))


if __name__ == "__main__":
    if sys.argv[3:] == ["none"]:
        single(Path(sys.argv[1]), sys.argv[2])
    else:
        main(Path(sys.argv[1]), sys.argv[2])
