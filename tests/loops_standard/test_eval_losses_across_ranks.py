"""Val/test step losses (``BaseDataElement(loss=...)``) are the same numbers on every rank.

MMEngine averages each rank's own batches, so rank 0 logged half the data and a
hook reading the loss (``save_best='loss'``, early stopping) decided differently
on each rank: ours then crashed or hung in the checkpoint's collectives. The
means are taken over every rank's batches (one object gather per pass).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import torch

import runner_core.distributed as dist
from runner_core.logging import HistoryBuffer
from runner_core.structures import BaseDataElement
from runner_loops_standard.evaluate import ValLoop


def _loop_with_losses(values: list[float]) -> ValLoop:
    loop = ValLoop.__new__(ValLoop)  # only the loss bookkeeping is exercised
    loop.losses = {}
    for v in values:
        loop.take_losses([{}, BaseDataElement(loss={"loss_a": torch.tensor(v), "acc": v})])
    return loop


def test_one_process_keeps_its_own_means() -> None:
    loop = _loop_with_losses([1.0, 3.0])
    assert loop.loss_metrics() == {"loss_a": 2.0, "acc": 2.0, "val_loss": 2.0}
    assert _loop_with_losses([]).loss_metrics() == {}


def test_the_means_are_over_every_ranks_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """This rank saw batches 1 and 3; the other rank 10, 20 and 30, and a loss this one lacks."""
    other = {"loss_a": (60.0, 3), "loss_b": (8.0, 2)}
    gathered: list[Any] = []

    def all_gather_object(data: Any, group: Any = None) -> list[Any]:
        gathered.append(data)
        return [data, other]

    monkeypatch.setattr(dist, "get_world_size", lambda group=None: 2)
    monkeypatch.setattr(dist, "all_gather_object", all_gather_object)
    metrics = _loop_with_losses([1.0, 3.0]).loss_metrics()
    assert gathered == [{"loss_a": (4.0, 2), "acc": (4.0, 2)}]
    assert metrics == {"loss_a": 64.0 / 5, "acc": 2.0, "loss_b": 4.0, "val_loss": 64.0 / 5 + 4.0}
    # a rank without losses still takes part in the gather, and reports the others'
    gathered.clear()
    assert _loop_with_losses([]).loss_metrics() == {"loss_a": 20.0, "loss_b": 4.0, "val_loss": 24.0}
    assert gathered == [{}]


def test_mean_of_a_rank_is_its_history_mean() -> None:
    history = HistoryBuffer(max_length=10)
    for v in (0.1, 0.2, 0.7):
        history.update(v)
    assert history.mean() * len(history) == pytest.approx(1.0)


SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import torch
    from torch import nn
    from runner_core import BaseMetric, BaseModel, Runner
    from runner_core.structures import BaseDataElement

    class Net(BaseModel):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(1, 1)

        def forward(self, inputs, mode="tensor"):
            return self.fc(inputs)

        def val_step(self, data):
            # DefaultSampler without shuffle: rank 0 sees 0, 2, 4, 6 and rank 1 sees 1, 3, 5, 7
            x = data[0] if isinstance(data, (list, tuple)) else data
            return [dict(x=x), BaseDataElement(loss=dict(loss_x=x.mean()))]

    class Count(BaseMetric):
        def process(self, data_batch, data_samples):
            self.results.extend(float(v) for s in data_samples for v in s["x"].flatten())

        def compute_metrics(self, results):
            return dict(n=len(results))

    work, out = sys.argv[1], sys.argv[2]
    runner = Runner(
        model=Net(), work_dir=work,
        val_dataloader=dict(dataset=[torch.tensor([float(i)]) for i in range(8)], batch_size=2,
                            sampler=dict(type="DefaultSampler", shuffle=False)),
        val_cfg=dict(), val_evaluator=Count(),
        launcher="pytorch", env_cfg=dict(dist_cfg=dict(backend="gloo", timeout=30)),
        default_hooks=dict(checkpoint=None), log_level="WARNING",
    )
    metrics = runner.val()
    with open(os.path.join(out, f"rank{runner.rank}.json"), "w") as f:
        json.dump(metrics, f)
    torch.distributed.destroy_process_group()
    """
)


@pytest.mark.slow
def test_two_ranks_report_the_mean_over_the_whole_validation_set(tmp_path: Path) -> None:
    script = tmp_path / "val_two_ranks.py"
    script.write_text(SCRIPT)
    out = tmp_path / "out"
    out.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_", "TORCHELASTIC"))
    }
    env.update(OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--standalone"]
    proc = subprocess.run(
        [*cmd, str(script), str(tmp_path / "work"), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    ranks = [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]
    # batch means 1, 5 (rank 0) and 2, 6 (rank 1): 3.5 on both, not 3 and 4
    expected = {"n": 8, "loss_x": 3.5, "val_loss": 3.5}
    assert ranks[0] == pytest.approx(expected)
    assert ranks[1] == pytest.approx(expected)
