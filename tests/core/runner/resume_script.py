"""Train a tiny MLP with dropout on synthetic data; dump final weights and logged losses.

Used by the exact-resume tests:

    python resume_script.py '<json options>'
    python resume_script.py '[<json options>, ...]'

A list runs its jobs one after another in this one process (each with its own
Runner, model, data and work dir); the tests batch only runs that need no fresh
process of their own: uninterrupted reference runs and first parts stopped cleanly.

Options: ``work_dir``, ``out`` (where to write the results), ``loop``
('epoch' | 'iter'), ``max`` (epochs or iterations), ``workers``,
``accumulate``, ``ckpt`` (CheckpointHook arguments), ``stop_at`` (stop after
this iteration), ``stop_how`` (``'clean'`` raises out of training, ``'kill'``
SIGKILLs the process once the checkpoint hook has run), ``stop_on``
(``'iter'``, ``'epoch'`` or ``'val'``: see ``Stop``), ``resume`` (False / True / a
path), ``validate`` (validation every epoch, with a hook that draws random
numbers during validation), ``seed``.

The dataset draws random noise from python ``random``, numpy and torch in ``__getitem__``, in the
main process or in data workers (so the data pipeline's randomness is part
of the check: workers reseed per batch from the batch's own seed) and appends every index it loads to ``<out>.loads`` (one line per
``__getitem__``, from any process).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from runner_core import Runner
from runner_core.hooks import Hook, Priority


class CountingDataset(torch.utils.data.Dataset):
    """24 fixed samples of 8 features, 3 classes; records each load."""

    def __init__(self, log_path: str, noise: bool, size: int = 24) -> None:
        gen = torch.Generator().manual_seed(1234)
        self.x = torch.randn(size, 8, generator=gen)
        self.y = torch.randint(0, 3, (size,), generator=gen)
        self.log_path = log_path
        self.noise = noise

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        with open(self.log_path, "a") as f:  # O_APPEND: safe from worker processes
            f.write(f"{index}\n")
        x = self.x[index]
        if self.noise:  # augmentation from all three generators a worker reseeds
            x = x + 0.01 * torch.randn(8) + 0.01 * random.random() + 0.01 * float(np.random.rand())
        return {"inputs": x, "labels": self.y[index]}


class Recorder(Hook):
    """Logs (iter, loss) per iteration; draws random numbers during validation."""

    priority = Priority.LOW

    def __init__(self) -> None:
        self.losses: list[tuple[int, float]] = []

    def after_train_iter(self, runner: Any, outputs: Any) -> None:
        self.losses.append((runner.iter + 1, float(outputs["loss"])))

    def before_val_epoch(self, runner: Any) -> None:
        torch.rand(3)
        random.random()


class Stop(Hook):
    """Once ``at`` iterations are done (after the checkpoint hook): stop cleanly or die.

    ``on`` picks the moment: after that iteration (``'iter'``), after the
    epoch it ends (``'epoch'``), or after the validation that follows (``'val'``).
    """

    priority = Priority.LOWEST

    def __init__(self, at: int, how: str, on: str) -> None:
        self.at, self.how, self.on = at, how, on

    def _stop(self) -> None:
        if self.how == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        raise StopTraining

    def after_train_iter(self, runner: Any) -> None:
        if self.on == "iter" and runner.iter + 1 == self.at:
            self._stop()

    def after_train_epoch(self, runner: Any) -> None:
        if self.on == "epoch" and runner.iter == self.at:
            self._stop()

    def after_val(self, runner: Any) -> None:
        if self.on == "val" and runner.iter == self.at:
            self._stop()


class StopTraining(Exception):
    pass


def build(opts: dict[str, Any]) -> tuple[Runner, Recorder]:
    out = opts["out"]
    workers = int(opts.get("workers", 0))
    dataset = CountingDataset(out + ".loads", noise=True)
    loader = dict(
        dataset=dataset,
        batch_size=4,
        sampler=dict(type="DefaultSampler", shuffle=True),
        num_workers=workers,
    )
    if workers:
        loader["persistent_workers"] = False
    if opts.get("loop", "epoch") == "epoch":
        train_cfg = dict(by_epoch=True, max_epochs=opts["max"])
    else:
        train_cfg = dict(by_epoch=False, max_iters=opts["max"], val_interval=6)
    recorder = Recorder()
    hooks: list[Any] = [recorder, dict(type="EMAHook", momentum=0.1)]
    if opts.get("stop_at"):
        hooks.append(
            Stop(opts["stop_at"], opts.get("stop_how", "clean"), opts.get("stop_on", "iter"))
        )
    torch.manual_seed(0)  # the model is built here, before the Runner seeds anything
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
    val = {}
    if opts.get("validate"):
        val = dict(
            val_dataloader=dict(dataset=CountingDataset(out + ".valloads", False), batch_size=8),
            val_cfg=dict(),
            val_evaluator=dict(type="Accuracy"),
        )
    runner = Runner(
        model=model,
        work_dir=opts["work_dir"],
        train_dataloader=loader,
        train_cfg=train_cfg,
        optim_wrapper=dict(
            optimizer=dict(type="SGD", lr=0.1, momentum=0.9),
            accumulative_counts=int(opts.get("accumulate", 1)),
        ),
        default_hooks_set="none",
        default_hooks=dict(checkpoint=dict(type="CheckpointHook", **opts.get("ckpt", {}))),
        custom_hooks=hooks,
        resume=opts.get("resume", False),
        load_from=opts.get("load_from"),
        randomness=dict(seed=int(opts.get("seed", 7))),
        visualizer=False,
        log_level="WARNING",
        **val,
    )
    return runner, recorder


def run(opts: dict[str, Any]) -> None:
    runner, recorder = build(opts)
    stopped = False
    try:
        runner.train()
    except StopTraining:
        stopped = True
    ema = next(h for h in runner.hooks if type(h).__name__ == "EMAHook")
    result = {
        "state_dict": {k: v.clone() for k, v in runner.unwrapped_model.state_dict().items()},
        "ema": {k: v.clone() for k, v in ema.ema_model.state_dict().items()},
        "losses": recorder.losses,
        "iter": runner.iter,
        "stopped": stopped,
    }
    torch.save(result, opts["out"])
    Path(opts["out"] + ".done").write_text("ok")


def main() -> None:
    jobs = json.loads(sys.argv[1])
    for opts in jobs if isinstance(jobs, list) else [jobs]:
        run(opts)


if __name__ == "__main__":
    main()
