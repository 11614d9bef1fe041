"""Train one model wrapped by ``MMFullyShardedDataParallel(...)`` (MMEngine's Python route) and
one wrapped from ``model_wrapper_cfg=dict(type='MMFullyShardedDataParallel', ...)`` (the
Runner's route), with the same FSDP1 arguments, on 2 gloo ranks.

Usage: ``torchrun --nproc_per_node 2 _mm_fsdp_worker.py OUT``; each rank writes
``OUT/rank<R>.pt`` with both routes' wrapper types, local shard shapes and full weights.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.distributed.fsdp.wrap import size_based_auto_wrap_policy

from runner_core.distributed.model_wrappers import wrap_model
from runner_core.model import BaseModel, MMFullyShardedDataParallel, is_model_wrapper
from runner_core.optim.optim_wrapper import OptimWrapper


class Net(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 4))

    def forward(self, inputs, labels=None, mode="tensor"):
        out = self.body(inputs)
        if mode == "loss":
            return {"loss": nn.functional.mse_loss(out, labels)}
        return out


def train(model: Any, rank: int) -> dict[str, Any]:
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    g = torch.Generator().manual_seed(1 + rank)  # each rank its own batches
    for _ in range(4):
        x = torch.randn(8, 4, generator=g)
        model.train_step({"inputs": x, "labels": x.flip(1)}, optim)
    state = model.module.state_dict()
    return {
        "type": type(model).__name__,
        "is_mm": isinstance(model, MMFullyShardedDataParallel),
        "is_wrapper": is_model_wrapper(model),
        "local_shapes": {k: list(v.to_local().shape) for k, v in state.items()},
        "full": {k: v.full_tensor().detach().clone() for k, v in state.items()},
        "predict": model.val_step({"inputs": torch.ones(2, 4)}).detach().clone(),
    }


def main() -> None:
    out = Path(sys.argv[1])
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    mmengine_args: dict[str, Any] = dict(
        sharding_strategy="SHARD_GRAD_OP",
        cpu_offload=False,
        backward_prefetch="BACKWARD_PRE",
        mixed_precision=dict(param_dtype="float32", reduce_dtype="float32"),
        use_orig_params=True,
        limit_all_gathers=True,
    )
    python = MMFullyShardedDataParallel(
        Net(),
        auto_wrap_policy=functools.partial(size_based_auto_wrap_policy, min_num_params=32),
        **mmengine_args,
    )
    cfg = {
        "type": "MMFullyShardedDataParallel",
        "auto_wrap_policy": {"type": "size_based_auto_wrap_policy", "min_num_params": 32},
        **mmengine_args,
    }
    config = wrap_model(Net(), cfg, "cpu")
    result = {"python": train(python, rank), "config": train(config, rank)}
    torch.save(result, out / f"rank{rank}.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
