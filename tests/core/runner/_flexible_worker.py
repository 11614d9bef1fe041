"""A FlexibleRunner training script the FlexibleRunner tests run under torchrun (or alone).

Usage: ``python _flexible_worker.py '<json options>'`` with ``work_dir``, ``out`` and
``strategy`` (a strategy config dict, or null). The launcher is left to the
FlexibleRunner (inferred from torchrun's environment). Each rank writes
``<out>/rank<R>.pt``: the strategy's class, the model wrapper's class, this rank's
own parameters (FSDP: its shards) and the counters.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from torch import nn

from runner_core.model import ModuleAdapter
from runner_core.runner import FlexibleRunner


def dataset(size: int, seed: int) -> list[tuple[torch.Tensor, int]]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(size, 4, generator=g)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long() + (x[:, 2] > 1).long()
    return [(x[i], int(y[i])) for i in range(size)]


def main() -> None:
    opts = json.loads(sys.argv[1])
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    runner = FlexibleRunner(
        ModuleAdapter(net),
        work_dir=opts["work_dir"],
        train_dataloader={
            "dataset": dataset(32, 1),
            "batch_size": 4,
            "sampler": {"type": "DefaultSampler", "shuffle": True, "seed": 3},
        },
        train_cfg={"by_epoch": False, "max_iters": 8},
        optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.1, "momentum": 0.9}},
        default_hooks={"checkpoint": {"type": "CheckpointHook", "by_epoch": False, "interval": 8}},
        strategy=opts["strategy"],
        env_cfg={"dist_cfg": {"backend": "gloo", "timeout": 60}},
        randomness={"seed": 0},
        log_level="WARNING",
    )
    runner.train()
    params = {
        k: (v.to_local() if hasattr(v, "to_local") else v).detach().clone()
        for k, v in runner.unwrapped_model.state_dict().items()
    }
    result = {
        "rank": runner.rank,
        "world_size": runner.world_size,
        "strategy": type(runner.strategy).__name__,
        "wrapper": type(runner.model).__name__,
        "iter": runner.iter,
        "params": params,
    }
    torch.save(result, Path(opts["out"]) / f"rank{runner.rank}.pt")
    if runner.distributed:
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
