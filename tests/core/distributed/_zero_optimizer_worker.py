"""Run under torchrun (2 ranks, gloo): ZeroRedundancyOptimizer from a config, against the
plain optimizer, and a checkpoint save / resume with it. Writes ``<out>/rank<R>.json``."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import torch
from torch import nn

from runner_core import Hook
from runner_core.model import ModuleAdapter
from runner_core.optim import build_optim_wrapper
from runner_core.registry import DEFAULT_HOOK_SETS
from runner_core.runner import Runner

ITERS = 4


def dataset() -> list[tuple[torch.Tensor, int]]:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(32, 4, generator=g)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long() + (x[:, 2] > 1).long()
    return [(x[i], int(y[i])) for i in range(32)]


def net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 3))


class SaveAt(Hook):
    """Save ``iter_2.pth`` (every rank calls save_checkpoint, as CheckpointHook does)."""

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.iter + 1 == 2:
            runner.save_checkpoint(runner.work_dir, "iter_2.pth")


def train(work_dir: Path, optimizer: dict[str, Any], **kwargs: Any) -> Runner:
    runner = Runner(
        model=ModuleAdapter(net()),
        work_dir=str(work_dir),
        train_dataloader={
            "dataset": dataset(),
            "batch_size": 4,
            "sampler": {"type": "DefaultSampler", "shuffle": False},
        },
        train_cfg={"by_epoch": False, "max_iters": ITERS},
        optim_wrapper={"optimizer": optimizer},
        launcher="pytorch",
        env_cfg={"dist_cfg": {"backend": "gloo"}},
        default_hooks_set="bare",
        log_level="WARNING",
        **kwargs,
    )
    runner.train()
    return runner


def weights(runner: Runner) -> list[list[float]]:
    return [p.detach().flatten().tolist() for p in runner.unwrapped_model.parameters()]


def manual_steps(optimizer_type: str, **kwargs: Any) -> dict[str, Any]:
    """Three steps on the same gradients: built from the OPTIMIZERS registry vs plain."""
    model = net()
    plain_model = copy.deepcopy(model)
    zero = build_optim_wrapper(
        model,
        {
            "optimizer": {
                "type": "ZeroRedundancyOptimizer",
                "optimizer_type": optimizer_type,
                **kwargs,
            }
        },
    )
    plain = getattr(torch.optim, optimizer_type)(plain_model.parameters(), **kwargs)
    x = torch.randn(8, 4, generator=torch.Generator().manual_seed(5))
    for _ in range(3):
        for m, opt in ((model, zero), (plain_model, plain)):
            opt.zero_grad()
            m(x).square().mean().backward()
            opt.step()
    local = zero.optimizer.optim  # type: ignore[attr-defined]  # this rank's shard only
    return {
        "type": type(zero.optimizer).__name__,
        "local_type": type(local).__name__,
        "equal": all(
            torch.equal(a, b) for a, b in zip(model.parameters(), plain_model.parameters())
        ),
        "max_diff": max(
            (a - b).abs().max().item() for a, b in zip(model.parameters(), plain_model.parameters())
        ),
        "local_params": sum(len(g["params"]) for g in local.param_groups),
        "total_params": len(list(model.parameters())),
        "defaults_equal": zero.optimizer.defaults == plain.defaults,
    }


def main() -> None:
    out = Path(sys.argv[1])
    DEFAULT_HOOK_SETS.register_module(name="bare", module=lambda: {}, force=True)
    torch.distributed.init_process_group("gloo")  # the Runners below find it initialised
    report: dict[str, Any] = {}
    report["sgd"] = manual_steps("SGD", lr=0.1, momentum=0.9)
    report["adamw"] = manual_steps("AdamW", lr=0.01)
    rank = torch.distributed.get_rank()

    zero_cfg = {"type": "ZeroRedundancyOptimizer", "optimizer_type": "AdamW", "lr": 0.01}
    plain_cfg = {"type": "AdamW", "lr": 0.01}
    zero_run = train(out / "zero", zero_cfg, custom_hooks=[SaveAt()])
    plain_run = train(out / "plain", plain_cfg)
    report["runner_zero"] = weights(zero_run)
    report["runner_plain"] = weights(plain_run)
    ckpt_path = out / "zero" / "iter_2.pth"
    torch.distributed.barrier()
    ckpt = torch.load(ckpt_path, weights_only=True)
    report["ckpt_state_params"] = sorted(ckpt["optimizer"]["state"])
    report["ckpt_groups"] = [g["params"] for g in ckpt["optimizer"]["param_groups"]]
    resumed = train(out / "resumed", zero_cfg, load_from=str(ckpt_path), resume=True)
    report["resumed"] = weights(resumed)
    report["resumed_local_state"] = len(resumed.optim_wrapper.optimizer.optim.state)
    (out / f"rank{rank}.json").write_text(json.dumps(report))
    torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
