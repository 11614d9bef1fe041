"""The start-up job of ``bench/configs/first_iter.py`` with MMEngine or Lightning.

Usage: ``python bench/startup_peers.py mmengine|lightning`` (with the peers'
interpreter). The same MLP, 200,000 synthetic samples, batch 4, shuffled,
SGD with momentum, a log line every 50 iterations; at the first training
iteration the wall-clock time is written as JSON to ``$BENCH_PROBE_FILE``
(``{"before_run", "first_iter"}``, as ``bench_parts.FirstIterProbe`` does)
and the process ends. ``startup.py`` times it from process start.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from typing import Any

_before_run = time.time()  # replaced by the framework's own "run starts" point


def _probe(first_iter: float) -> None:
    path = os.environ.get("BENCH_PROBE_FILE")
    if path:
        with open(path, "w") as fh:
            json.dump({"before_run": _before_run, "first_iter": first_iter}, fh)
    os._exit(0)


def _parts() -> tuple[Any, Any]:
    import torch
    from torch import nn
    from torch.utils.data import TensorDataset

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(200_000, 32, generator=gen)
    y = torch.randint(0, 10, (200_000,), generator=gen)
    net = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 10))
    return TensorDataset(x, y), net


def mmengine_main(work_dir: str) -> None:
    from frameworks import mmengine_model
    from mmengine.hooks import Hook
    from mmengine.runner import Runner

    class Probe(Hook):
        priority = "HIGHEST"

        def before_run(self, runner: Any) -> None:
            global _before_run
            _before_run = time.time()

        def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
            _probe(time.time())

    dataset, net = _parts()
    runner = Runner(
        model=mmengine_model(net),
        work_dir=work_dir,
        train_dataloader={
            "dataset": dataset,
            "batch_size": 4,
            "sampler": {"type": "DefaultSampler", "shuffle": True},
            "collate_fn": {"type": "default_collate"},
        },
        train_cfg={"by_epoch": False, "max_iters": 20_000, "val_interval": 10**9},
        optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9}},
        default_hooks={
            "logger": {"type": "LoggerHook", "interval": 50},
            "checkpoint": {"type": "CheckpointHook", "interval": 10**9, "by_epoch": False},
        },
        custom_hooks=[Probe()],
        randomness={"seed": 0},
    )
    runner.train()


def lightning_main(work_dir: str) -> None:
    import lightning as L
    from frameworks import lightning_model
    from lightning.pytorch.loggers import CSVLogger
    from torch.utils.data import DataLoader

    class Probe(L.Callback):
        def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
            global _before_run
            _before_run = time.time()

        def on_train_batch_start(self, *args: Any) -> None:
            _probe(time.time())

    L.seed_everything(0, verbose=False)
    dataset, net = _parts()
    trainer = L.Trainer(
        max_steps=20_000,
        accelerator="cpu",
        devices=1,
        logger=CSVLogger(work_dir),
        log_every_n_steps=50,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        callbacks=[Probe()],
        default_root_dir=work_dir,
    )
    trainer.fit(
        lightning_model(net), train_dataloaders=DataLoader(dataset, batch_size=4, shuffle=True)
    )


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="startup-peer-") as tmp:
        {"mmengine": mmengine_main, "lightning": lightning_main}[sys.argv[1]](tmp)
    raise SystemExit("never reached the first iteration")
