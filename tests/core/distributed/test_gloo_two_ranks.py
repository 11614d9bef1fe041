"""Two real processes over gloo: gathered metrics equal the single-process value exactly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from torchrun_helpers import free_port

SCRIPT = textwrap.dedent(
    """
    import json
    import sys

    import torch
    import torch.distributed as td
    import torch.multiprocessing as mp

    from runner_core import distributed as dist
    from runner_core.data.sampler import DefaultSampler
    from runner_core.evaluator import Accuracy, BaseMetric, Evaluator

    SIZE, CLASSES = 101, 5


    class OrderMetric(BaseMetric):
        default_prefix = "order"

        def process(self, data_batch, data_samples):
            self.results.extend(data_samples["ids"])

        def compute_metrics(self, results):
            return {"ids": list(results)}


    def data():
        g = torch.Generator().manual_seed(0)
        return torch.randn(SIZE, CLASSES, generator=g), torch.randint(0, CLASSES, (SIZE,), generator=g)


    def run(rank, world_size, dataset, batch_size=8):
        logits, labels = data()
        evaluator = Evaluator([Accuracy(topk=(1, 3)), OrderMetric()])
        sampler = DefaultSampler(dataset, shuffle=True, seed=4, rank=rank, world_size=world_size)
        ids = list(sampler)
        for start in range(0, len(ids), batch_size):
            batch = torch.tensor(ids[start : start + batch_size])
            evaluator.process({"pred": logits[batch], "gt": labels[batch], "ids": batch.tolist()})
        return evaluator.evaluate(size=len(dataset))


    def worker(rank, port, out):
        td.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
        try:
            assert dist.get_dist_info() == (rank, 2) and dist.is_distributed()
            metrics = run(rank, 2, list(range(SIZE)))
            t = torch.tensor([float(rank + 1)])
            dist.all_reduce(t, op="mean")
            extras = {
                "mean": t.item(),
                "gathered": dist.all_gather_object(rank * 10),
                "broadcast": dist.broadcast_object(f"from {rank}"),
            }
            if rank == 0:
                with open(out, "w") as f:
                    json.dump({"metrics": metrics, "extras": extras}, f)
            else:
                with open(out + ".rank1", "w") as f:
                    json.dump({"metrics": metrics}, f)
        finally:
            td.destroy_process_group()


    if __name__ == "__main__":
        port, out = int(sys.argv[1]), sys.argv[2]
        mp.spawn(worker, args=(port, out), nprocs=2, join=True)
        single = run(0, 1, list(range(SIZE)))
        with open(out + ".single", "w") as f:
            json.dump(single, f)
    """
)


@pytest.mark.slow
def test_metric_over_two_gloo_ranks_equals_single_process(tmp_path: Path) -> None:
    script = tmp_path / "two_ranks.py"
    script.write_text(SCRIPT)
    out = tmp_path / "result.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.run(
        [sys.executable, str(script), str(free_port()), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    rank1 = json.loads(Path(f"{out}.rank1").read_text())
    single = json.loads(Path(f"{out}.single").read_text())

    # uneven split: 101 samples -> 51 per rank, one padding sample dropped
    assert len(result["metrics"]["order/ids"]) == 101
    assert result["metrics"] == single  # exact equality, order included
    assert rank1["metrics"] == single  # rank 1 receives the broadcast result
    assert sorted(single["order/ids"]) == list(range(101))
    assert result["extras"] == {"mean": 1.5, "gathered": [0, 10], "broadcast": "from 0"}
