"""Worker for test_checkpoint_two_ranks.py: a hook whose state changes on rank 0 only.

Run as ``torchrun --nproc_per_node 2 _checkpoint_rank0_state_worker.py OUT``; each rank
writes ``OUT/rank<r>.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import TensorDataset

from runner_core import Runner
from runner_core.hooks import Hook


class Rank0History(Hook):
    """Resumable state updated on rank 0 only, as a hook logging metrics would."""

    def __init__(self) -> None:
        self.history: list[float] = []

    def after_val_epoch(self, runner: Any, metrics: Any = None) -> None:
        if runner.rank == 0:
            self.history.append(float(metrics["accuracy/top1"]))

    def state_dict(self) -> dict[str, Any]:
        return {"history": list(self.history)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.history = list(state["history"])


def main(out: Path) -> None:
    torch.manual_seed(0)
    x = torch.randn(16, 4)
    data = TensorDataset(x, (x[:, 0] > 0).long())
    runner = Runner(
        model=nn.Linear(4, 2),
        work_dir=str(out / "work"),
        train_dataloader=dict(dataset=data, batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=2, val_interval=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        val_dataloader=dict(dataset=data, batch_size=4),
        val_evaluator=dict(type="Accuracy"),
        custom_hooks=[Rank0History()],
        launcher="pytorch",
        env_cfg=dict(dist_cfg=dict(backend="gloo")),
        log_level="WARNING",
    )
    runner.train()  # hung before: rank 0 alone saved epoch_1.pth again after validation
    report: dict[str, Any] = {"done": True}
    if runner.rank == 0:
        ckpt = torch.load(out / "work" / "epoch_1.pth", weights_only=True)
        report["saved_history"] = [
            state["history"] for state in ckpt["hooks"].values() if "history" in state
        ]
    (out / f"rank{runner.rank}.json").write_text(json.dumps(report))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
