"""A small training script the distributed tests run under torchrun (or alone).

Usage: ``python _torchrun_worker.py '<json options>'``. It builds a Runner with
``launcher`` from the options (``'pytorch'`` under torchrun), trains a tiny
classifier, validates on 101 samples and writes ``<out>/rank<R>.pt`` with the
final weights (the full state for FSDP, gathered on rank 0), the metrics and
the optimizer state. Options are read from the JSON argument; see ``OPTIONS``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import torch
from torch import nn

from runner_core import Hook
from runner_core.checkpoint import BackgroundWriter, read_pointer
from runner_core.model import ModuleAdapter
from runner_core.registry import DEFAULT_HOOK_SETS
from runner_core.runner import Runner
from runner_core.runner.preemption import PreemptionHook, TrainingPreempted

OPTIONS = {
    "work_dir": None,  # required
    "out": None,  # required: folder for rank<R>.pt
    "launcher": "pytorch",
    "wrapper": None,  # None (DDP when distributed) or a model_wrapper_cfg dict
    "backend": "gloo",
    "batch_size": 4,
    "max_epochs": 2,
    "train_size": 64,
    "val_size": 101,
    "save_every_iter": False,
    "save_every_epoch": False,
    "resume": False,
    "load_from": None,
    "fail_rank": None,  # raise on this rank ...
    "fail_iter": 3,  # ... before this iteration
    "kill_rank": None,  # SIGKILL this rank (first attempt only) ...
    "kill_iter": 5,  # ... before this iteration
    "signal_rank": None,  # send SIGTERM to this rank ...
    "signal_iter": 3,  # ... before this iteration
    "signal_name": "SIGTERM",  # ... this signal
    "slow_save_rank0": 0.0,  # seconds rank 0 takes before writing each checkpoint
    "preempt_check_period": None,  # PreemptionHook.check_period_s (None: its default)
    "amp": False,
    "accumulate": 1,
    "batchnorm": False,  # a BatchNorm layer: running statistics each rank keeps for itself
    "timeout": 60,
    "sharded_roundtrip": False,
    "async_save": False,  # saves (and the sharded round trip) written in the background
    "log_level": "WARNING",
}


def dataset(size: int, seed: int) -> list[tuple[torch.Tensor, int]]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(size, 4, generator=g)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long() + (x[:, 2] > 1).long()
    return [(x[i], int(y[i])) for i in range(size)]


class Faults(Hook):
    """Save checkpoints on schedule and inject the failures the tests ask for."""

    priority = "VERY_LOW"

    def __init__(self, opts: dict) -> None:
        self.opts = opts
        self.writer = BackgroundWriter() if opts["async_save"] else None

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        o = self.opts
        if o["fail_rank"] == runner.rank and runner.iter == o["fail_iter"]:
            raise ValueError(f"injected failure at iter {runner.iter}")
        first_attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") == "0"
        if o["kill_rank"] == runner.rank and runner.iter == o["kill_iter"] and first_attempt:
            os.kill(os.getpid(), signal.SIGKILL)
        if o["signal_rank"] == runner.rank and runner.iter == o["signal_iter"]:
            os.kill(os.getpid(), getattr(signal, o["signal_name"]))  # the handler sets a flag

    def before_save_checkpoint(self, runner, checkpoint) -> None:
        if runner.rank == 0 and self.opts["slow_save_rank0"]:
            time.sleep(self.opts["slow_save_rank0"])  # a big model, a slow filesystem

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self.opts["save_every_iter"]:
            name = f"iter_{runner.iter + 1}.pth"
            runner.save_checkpoint(
                runner.work_dir, name, update_pointer=True, background=self.writer
            )

    def after_train_epoch(self, runner) -> None:
        if self.opts["save_every_epoch"]:
            name = f"epoch_{runner.epoch + 1}.pth"
            runner.save_checkpoint(
                runner.work_dir, name, update_pointer=True, background=self.writer
            )

    def after_run(self, runner) -> None:
        if self.writer is not None:
            self.writer.wait()


def main() -> None:
    opts = {**OPTIONS, **json.loads(sys.argv[1])}
    DEFAULT_HOOK_SETS.register_module(name="bare", module=lambda: {}, force=True)
    if opts["preempt_check_period"] is not None:
        PreemptionHook.check_period_s = opts["preempt_check_period"]
    torch.manual_seed(0)
    norm = [nn.BatchNorm1d(16)] if opts["batchnorm"] else []
    net = nn.Sequential(nn.Linear(4, 16), *norm, nn.ReLU(), nn.Linear(16, 3))
    optim = {"optimizer": {"type": "SGD", "lr": 0.1, "momentum": 0.9}}
    if opts["amp"]:
        optim = {
            "type": "AmpOptimWrapper",
            "optimizer": {"type": "SGD", "lr": 0.1, "momentum": 0.9},
        }
    if opts["accumulate"] > 1:
        optim["accumulative_counts"] = opts["accumulate"]
    runner = Runner(
        model=ModuleAdapter(net),
        work_dir=opts["work_dir"],
        train_dataloader={
            "dataset": dataset(opts["train_size"], 1),
            "batch_size": opts["batch_size"],
            "sampler": {"type": "DefaultSampler", "shuffle": True, "seed": 3},
        },
        train_cfg={"max_epochs": opts["max_epochs"], "val_interval": 100},
        optim_wrapper=optim,
        val_dataloader={
            "dataset": dataset(opts["val_size"], 2),
            "batch_size": 8,
            "sampler": {"type": "DefaultSampler", "shuffle": False},
        },
        val_cfg={},
        val_evaluator={"type": "Accuracy", "topk": (1, 2)},
        launcher=opts["launcher"],
        env_cfg={"dist_cfg": {"backend": opts["backend"], "timeout": opts["timeout"]}},
        randomness={"seed": 0},
        model_wrapper_cfg=opts["wrapper"],
        custom_hooks=[Faults(opts)],
        default_hooks_set="bare",
        resume=opts["resume"],
        load_from=opts["load_from"],
        log_level=opts["log_level"],
    )
    try:
        runner.train()
    except TrainingPreempted as exc:  # every rank stops at the same iteration
        name = Path(exc.checkpoint).name if exc.checkpoint else None
        pointer = read_pointer(runner.work_dir)  # what every rank sees on disk as it exits
        result = {"rank": runner.rank, "preempted_at": runner.iter, "checkpoint": name}
        result.update(code=exc.code, pointer_at_exit=pointer.name if pointer else None)
        torch.save(result, Path(opts["out"]) / f"rank{runner.rank}.pt")
        torch.distributed.destroy_process_group()
        return
    metrics = runner.val()
    rank = runner.rank
    result = {
        "rank": rank,
        "world_size": runner.world_size,
        "metrics": {k: float(v) for k, v in metrics.items()},
        "iter": runner.iter,
        "epoch": runner.epoch,
        "model_type": type(runner.model).__name__,
        "restarts": int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")),
    }
    from runner_core.distributed.model_wrappers import is_fsdp

    if runner.distributed and is_fsdp(runner.model):
        from runner_core.distributed import checkpoint as dck

        state, optim_state = dck.full_state_dicts(
            runner.unwrapped_model, runner.optim_wrapper.optimizer
        )
        local = {k: v.to_local().clone() for k, v in runner.unwrapped_model.state_dict().items()}
        result["local_shapes"] = {k: list(v.shape) for k, v in local.items()}
        if opts["sharded_roundtrip"]:
            folder = Path(opts["out"]) / "sharded"
            if opts["async_save"]:
                dck.save_sharded_async(
                    folder, runner.unwrapped_model, runner.optim_wrapper.optimizer
                ).result()
            else:
                dck.save_sharded(folder, runner.unwrapped_model, runner.optim_wrapper.optimizer)
            with torch.no_grad():
                for p in runner.unwrapped_model.parameters():
                    p.zero_()
            dck.load_sharded(folder, runner.unwrapped_model, runner.optim_wrapper.optimizer)
            reloaded = {k: v.to_local() for k, v in runner.unwrapped_model.state_dict().items()}
            result["sharded_roundtrip_equal"] = all(
                torch.equal(local[k], reloaded[k]) for k in local
            )
    else:
        state = {k: v.detach().cpu() for k, v in runner.unwrapped_model.state_dict().items()}
        optim_state = runner.optim_wrapper.optimizer.state_dict()
    if rank == 0 or not (runner.distributed and is_fsdp(runner.model)):
        result["state"] = state
        result["optimizer"] = optim_state
    torch.save(result, Path(opts["out"]) / f"rank{rank}.pt")
    if runner.distributed:
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
