"""W2: a realistic small job, scikit-learn's digits with a small CNN, ours vs a raw loop.

1,437 training and 360 validation images (8x8, scikit-learn's bundled copy),
batch 32, a conv net (conv 16, conv 32, pool, linear 10), SGD lr 0.05
momentum 0.9, 10 epochs, validation accuracy after every epoch and a
checkpoint (model + optimizer) after every epoch. Ours uses the full default
hook set (its checkpoints are atomic and fsynced); the raw loop computes the
same accuracy and calls ``torch.save`` (no fsync). One torch thread: with
torch's default (all cores) a busy 2-core machine made single runs vary by
10x. Timed from the start of training to its end.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

EPOCHS = 10
BATCH = 32
_marks: dict[str, float] = {}


def make_data() -> tuple[Any, Any]:
    import torch
    from sklearn.datasets import load_digits
    from torch.utils.data import TensorDataset

    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    y = torch.tensor(digits.target, dtype=torch.long)
    gen = torch.Generator().manual_seed(0)
    order = torch.randperm(len(y), generator=gen)
    train, val = order[:1437], order[1437:]
    return TensorDataset(x[train], y[train]), TensorDataset(x[val], y[val])


def make_cnn() -> Any:
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 10),
    )


def raw(work_dir: str) -> float:
    import torch
    import torch.nn.functional as F
    from torch.utils.data import DataLoader

    train_set, val_set = make_data()
    train = DataLoader(train_set, batch_size=BATCH, shuffle=True)
    val = DataLoader(val_set, batch_size=BATCH)
    model = make_cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    _marks["start"] = time.perf_counter()
    acc = 0.0
    for epoch in range(EPOCHS):
        model.train()
        for inputs, targets in train:
            loss = F.cross_entropy(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for inputs, targets in val:
                correct += int((model(inputs).argmax(1) == targets).sum())
        acc = correct / len(val_set)
        torch.save(
            {"state_dict": model.state_dict(), "optimizer": optimizer.state_dict()},
            Path(work_dir) / f"epoch_{epoch + 1}.pth",
        )
    _marks["stop"] = time.perf_counter()
    return acc


def ours(work_dir: str) -> float:
    from runner_core import Runner
    from runner_core.hooks import Hook

    class StartClock(Hook):
        priority = "HIGHEST"

        def before_train(self) -> None:
            _marks["start"] = time.perf_counter()

    class StopClock(Hook):
        priority = "LOWEST"

        def after_train(self) -> None:
            _marks["stop"] = time.perf_counter()

    train_set, val_set = make_data()
    runner = Runner(
        model=make_cnn(),
        work_dir=work_dir,
        train_dataloader={"dataset": train_set, "batch_size": BATCH, "shuffle": True},
        val_dataloader={"dataset": val_set, "batch_size": BATCH},
        val_evaluator={"type": "Accuracy"},
        train_cfg={"by_epoch": True, "max_epochs": EPOCHS},
        val_cfg={},
        optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.05, "momentum": 0.9}},
        default_hooks={"logger": {"interval": 10}},
        custom_hooks=[StartClock(), StopClock()],
        randomness={"seed": 0},
    )
    runner.train()
    scalar = runner.message_hub.log_scalars.get("val/accuracy/top1")
    return scalar.current() / 100 if scalar is not None else float("nan")


def run_one(variant: str) -> dict[str, Any]:
    import torch

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="w2-") as work_dir:
        acc = raw(work_dir) if variant == "raw" else ours(work_dir)
    return {"variant": variant, "seconds": _marks["stop"] - _marks["start"], "accuracy": acc}


def measure(rounds: int = 5, python: str | None = None) -> dict[str, Any]:
    from _common import SINGLE_THREAD_ENV, child_env, run_child, summary

    python = python or sys.executable
    runs: dict[str, list[dict[str, Any]]] = {"raw": [], "ours_full": []}
    for r in range(rounds):
        order = list(runs) if r % 2 == 0 else list(reversed(runs))
        for variant in order:
            env = child_env(SINGLE_THREAD_ENV)
            result = run_child(python, [__file__, "--child", variant], env=env)
            runs[variant].append(result)
            print(
                f"  W2 round {r + 1}/{rounds} {variant:9s} {result['seconds']:.3f} s "
                f"(val accuracy {result['accuracy']:.3f})",
                flush=True,
            )
    raw_times = [x["seconds"] for x in runs["raw"]]
    out: dict[str, Any] = {"rounds": rounds, "epochs": EPOCHS, "variants": {}}
    for variant, results in runs.items():
        times = [x["seconds"] for x in results]
        entry: dict[str, Any] = {
            "seconds": summary(times),
            "accuracy": summary([x["accuracy"] for x in results]),
        }
        if variant != "raw":
            entry["ratio_to_raw"] = summary([t / b for t, b in zip(times, raw_times)])
        out["variants"][variant] = entry
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=("raw", "ours_full"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import write_json

    if args.child:
        write_json(args.json_out, run_one(args.child))
        return
    result = measure(args.rounds)
    write_json(args.json_out, result)
    for name, entry in result["variants"].items():
        print(name, entry)


if __name__ == "__main__":
    main()
