"""A tiny training run around CheckpointHook, shared by the checkpoint hook tests.

Eight samples, a linear model, a scripted validation score per epoch (so best
checkpoints are chosen deterministically), only the checkpoint hook.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from runner_core import Runner
from runner_core.evaluator import BaseMetric


class Data(torch.utils.data.Dataset):
    def __init__(self, size: int = 8) -> None:
        gen = torch.Generator().manual_seed(0)
        self.x = torch.randn(size, 4, generator=gen)
        self.y = torch.randint(0, 2, (size,), generator=gen)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"inputs": self.x[i], "labels": self.y[i]}


class Scripted(BaseMetric):
    """Reports the next score of a fixed list at each validation (and ``other``: 1.0)."""

    def __init__(self, key: str, scores: list[float]) -> None:
        super().__init__()
        self.key, self.scores = key, list(scores)

    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.append(0)

    def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
        return {self.key: self.scores.pop(0), "other": 1.0}


def make_runner(
    work_dir: Path,
    max_epochs: int = 3,
    scores: list[float] | None = None,
    key: str = "acc",
    resume: bool | str = False,
    custom_hooks: list[Any] | None = None,
    momentum: float = 0.0,
    train_cfg: dict[str, Any] | None = None,
    param_scheduler: Any = None,
    val_cfg: dict[str, Any] | None = None,
    **hook: Any,
) -> Runner:
    """A runner whose only hook is ``CheckpointHook(**hook)``; validation when ``scores``.

    With ``param_scheduler`` a ``ParamSchedulerHook`` steps it.
    """
    torch.manual_seed(0)
    val: dict[str, Any] = {}
    if scores is not None:
        val = dict(
            val_dataloader=dict(dataset=Data(), batch_size=4),
            val_cfg=val_cfg or dict(),
            val_evaluator=Scripted(key, scores),
        )
    if param_scheduler is not None:
        val["param_scheduler"] = param_scheduler
        custom_hooks = [*(custom_hooks or []), dict(type="ParamSchedulerHook")]
    return Runner(
        model=nn.Linear(4, 2),
        work_dir=work_dir,
        train_dataloader=dict(dataset=Data(), batch_size=4, shuffle=True),
        train_cfg=train_cfg or dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1, momentum=momentum)),
        default_hooks_set="none",
        default_hooks=dict(checkpoint=dict(type="CheckpointHook", **hook)),
        custom_hooks=custom_hooks or [],
        randomness=dict(seed=1),
        resume=resume,
        visualizer=False,
        log_level="WARNING",
        **val,
    )
