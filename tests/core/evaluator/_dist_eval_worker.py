"""Evaluation over two gloo ranks (or one process): run by ``test_distributed_evaluation.py``.

Usage: ``python _dist_eval_worker.py OUT`` alone or under torchrun. Each rank
writes ``OUT/rank<R>.json``: per case, the metrics, the sample indices its
metric's ``process`` saw, and (rank 0) the gathered order ``compute_metrics`` got.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from runner_core.evaluator import BaseMetric, Evaluator
from runner_core.model import BaseModel
from runner_core.registry import METRICS
from runner_core.runner import Runner

OUT = Path(sys.argv[1])
DIST = "WORLD_SIZE" in os.environ
X = torch.randn(16, 4, generator=torch.Generator().manual_seed(0))
W = torch.randn(4, 3, generator=torch.Generator().manual_seed(1))
SEEN: list[list[int]] = []
ORDER: list[int] = []


class Indexed(torch.utils.data.Dataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"inputs": X[i], "idx": i}


class Model(BaseModel):
    """Predicts fixed scores from the features; the label of sample ``i`` is ``i % 3``."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 3)

    def forward(self, inputs: Any, idx: Any, mode: str = "tensor", **kw: Any) -> Any:
        inputs = torch.stack(inputs) if isinstance(inputs, list) else inputs
        scores = (inputs @ W.to(inputs.device)).softmax(-1)  # the Runner's device (a GPU)
        return [
            {"idx": int(i), "pred_score": s, "gt_label": int(i) % 3} for i, s in zip(idx, scores)
        ]


@METRICS.register_module(force=True)
class EvalDistRecord(BaseMetric):
    """Keeps a tensor, an array and a dict per sample; reports their count and sum."""

    default_prefix = "rec"

    def process(self, data_batch: Any, data_samples: Any) -> None:
        SEEN.append([s["idx"] for s in data_samples])
        for s in data_samples:
            i = s["idx"]
            self.results.append(
                {"idx": i, "t": torch.tensor([float(i)]), "a": np.array([i]), "d": {"k": i}}
            )

    def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
        ORDER[:] = [r["idx"] for r in results]
        kinds = all(
            isinstance(r["t"], torch.Tensor) and isinstance(r["a"], np.ndarray) for r in results
        )
        return {"n": len(results), "sum": sum(r["t"].item() for r in results), "kinds": kinds}


class Plain(BaseMetric):
    def process(self, data_batch: Any, data_samples: Any) -> None:
        SEEN.append(list(data_samples))
        data = None if data_batch is None else data_batch
        self.results.extend(
            zip(data_samples, data if data is not None else [None] * len(data_samples))
        )

    def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
        return {"order": [list(r) for r in results]}


def loader(n: int, bs: int = 2, **sampler: Any) -> dict[str, Any]:
    sampler = {"type": "DefaultSampler", "shuffle": False, "seed": 5, **sampler}
    drop_last = sampler.pop("drop_last", False)
    return {"dataset": Indexed(n), "batch_size": bs, "drop_last": drop_last, "sampler": sampler}


ACC = {"type": "Accuracy", "topk": (1, 2), "thrs": (None, 0.5)}
REC = {"type": "EvalDistRecord"}
CASES: dict[str, dict[str, Any]] = {
    "padded": {"val": loader(7), "ev": [REC, ACC]},
    "shuffled": {"val": loader(7, shuffle=True), "ev": [REC, ACC]},
    "no_round_up": {"val": loader(7, round_up=False), "ev": [REC, ACC]},
    "smaller_than_world": {"val": loader(1), "ev": [REC, ACC]},
    "smaller_no_round_up": {"val": loader(1, round_up=False), "ev": [REC]},
    "collect_gpu_prefix": {
        "val": loader(5, 3),
        "ev": {**REC, "collect_device": "gpu", "prefix": "p"},
    },
    "test_two_metrics": {"test": loader(9), "ev": [REC, {**ACC, "prefix": "q", "topk": 2}]},
    "dump": {"test": loader(7, shuffle=True), "dump": True},
}


def run_case(name: str, case: dict[str, Any]) -> dict[str, Any]:
    SEEN.clear()
    ORDER.clear()
    work = OUT / "work" / name
    ev = case.get("ev")
    if case.get("dump"):
        ev = {"type": "DumpResults", "out_file_path": str(work / "dump.pkl")}
    split = "test" if "test" in case else "val"
    runner = Runner(
        model=Model(),
        work_dir=str(work),
        launcher="pytorch" if DIST else "none",
        env_cfg={"dist_cfg": {"backend": "gloo"}},
        default_hooks={"checkpoint": None, "logger": None},
        log_level="ERROR",
        **{f"{split}_dataloader": case[split], f"{split}_cfg": {}, f"{split}_evaluator": ev},
    )
    metrics = runner.test() if split == "test" else runner.val()
    got: dict[str, Any] = {"metrics": metrics, "seen": list(SEEN), "order": list(ORDER)}
    if case.get("dump") and runner.rank == 0:
        got["dump"] = [d["idx"] for d in pickle.loads((work / "dump.pkl").read_bytes())]
    return got


def offline() -> dict[str, Any]:
    got: dict[str, Any] = {}
    SEEN.clear()
    got["list"] = Evaluator(Plain()).offline_evaluate(list(range(7)), chunk_size=2)
    got["list_seen"] = list(SEEN)
    got["generator"] = Evaluator(Plain()).offline_evaluate(
        (i for i in range(5)), iter([10, 11, 12, 13, 14]), chunk_size=3
    )
    for name, data in (("longer", [0] * 8), ("shorter", [0] * 6)):
        try:
            Evaluator(Plain()).offline_evaluate(iter(range(7)), iter(data), chunk_size=2)
            got[name] = "no error"
        except ValueError as exc:
            got[name] = str(exc)
    return got


def clash() -> str:
    class A(Plain):
        pass

    evaluator = Evaluator([A(), Plain()])
    evaluator.process([1])
    try:
        evaluator.evaluate(1)
    except ValueError as exc:
        return str(exc)
    return "no error"


def main() -> None:
    results: dict[str, Any] = {name: run_case(name, case) for name, case in CASES.items()}
    results["offline"] = offline()
    results["clash"] = clash()
    rank = torch.distributed.get_rank() if torch.distributed.is_initialized() else 0
    (OUT / f"rank{rank}.json").write_text(json.dumps(results, default=str))
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
