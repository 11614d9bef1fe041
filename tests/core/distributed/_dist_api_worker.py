"""Run under torchrun (2 ranks, gloo): exercise ``runner_core.distributed``'s MMEngine API.

Writes what each call returned to ``<out>/rank<R>.json``; the test compares.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import torch
import torch.distributed as td

from runner_core import distributed as dist


def main(out: Path) -> None:
    td.init_process_group("gloo")
    rank = td.get_rank()
    res: dict[str, Any] = {}
    pair = td.new_group([0, 1])  # an explicit group: every helper takes group=

    res["info"] = [dist.get_rank(group=pair), dist.get_world_size(pair), dist.get_dist_info()]
    res["backend"] = [dist.get_backend(), dist.get_backend(pair), str(dist.get_comm_device())]
    res["main"] = dist.is_main_process(group=pair)
    dist.barrier(group=pair)

    reduced = {}
    for op, value in [
        ("sum", [1.0 + rank, 2.0]),
        ("SUM", [1.0 + rank]),
        ("mean", [1.0 + rank, 2.0]),
        ("max", [1.0 + rank]),
        ("min", [1.0 + rank]),
        ("product", [2.0 + rank]),
        ("mean_int", [1 + rank, -4 - rank]),  # [1, 2] -> 1 and [-4, -5] -> -4 (toward zero)
        ("bor", [1 << rank]),
    ]:
        t = torch.tensor(value)
        back = dist.all_reduce(t, op=op.split("_")[0], group=pair)
        reduced[op] = [t.tolist(), back is t, str(t.dtype)]
    res["all_reduce"] = reduced

    res["all_gather"] = [t.tolist() for t in dist.all_gather(torch.tensor([rank, rank * 10]))]
    res["gather"] = [t.tolist() for t in dist.gather(torch.tensor([rank]), dst=0)]
    res["gather_object"] = dist.gather_object({"r": rank}, dst=0)
    bt = torch.tensor([rank + 5.0, rank + 6.0])
    back = dist.broadcast(bt, src=0)
    res["broadcast"] = [bt.tolist(), back is bt]
    box: list[Any] = [f"from{rank}", {"a": rank}]
    res["broadcast_object_list"] = [dist.broadcast_object_list(box, src=0) is box, box]
    res["seed_shared"] = len(set(dist.all_gather_object(dist.sync_random_seed()))) == 1
    second = td.new_group([1])  # a group without global rank 0 (every rank must create it)
    if rank == 1:  # its seed comes from its own first rank (src=0 would not be in it)
        res["seed_subgroup"] = isinstance(dist.sync_random_seed(group=second), int)

    data = {"b": torch.tensor([1.0 + rank, 3.0]), "a": torch.tensor([[2.0 * rank]])}
    back_dict = dist.all_reduce_dict(data, op="mean")
    res["all_reduce_dict"] = [
        {k: v.tolist() for k, v in data.items()},
        back_dict is data,
        list(data["a"].shape),
    ]

    params = {}
    for name, kwargs in [
        ("coalesced", {}),
        ("per_tensor", {"coalesce": False}),
        ("bucketed", {"bucket_size_mb": 1}),
    ]:
        model = torch.nn.Linear(2, 1)
        with torch.no_grad():
            model.weight.fill_(float(rank))
            model.bias.fill_(float(rank + 1))
        assert dist.all_reduce_params(model.parameters(), op="sum", **kwargs) is None
        params[name] = [model.weight.tolist(), model.bias.tolist()]
    res["all_reduce_params"] = params

    # uneven parts (DefaultSampler pads the shorter rank): rank 0 saw 0, 2, 4; rank 1 saw 1, 3
    part: list[Any] = [f"s{i}" for i in range(rank, 5, 2)]
    if rank == 1:
        part[0] = None  # a legitimate None result is kept, not dropped
    res["collect_cpu"] = dist.collect_results(part, 4, device="cpu", tmpdir=str(out / "unused"))
    res["collect_gpu"] = dist.collect_results(part, 5, device="gpu")
    res["collect_results_cpu"] = dist.collect_results_cpu([rank, torch.tensor([rank])], 10)
    if res["collect_results_cpu"] is not None:
        res["collect_results_cpu"] = [
            x.tolist() if torch.is_tensor(x) else x for x in res["collect_results_cpu"]
        ]
    res["collect_results_gpu"] = dist.collect_results_gpu([rank], 2)
    res["tmpdir_made"] = (out / "unused").exists()

    res["local_from_env"] = [dist.get_local_rank(), dist.get_local_size()]
    dist.init_local_group(node_rank=0, num_gpus_per_node=2)
    res["local_from_group"] = [
        dist.get_local_rank(),
        dist.get_local_size(),
        dist.get_local_group() is not None,
    ]
    try:
        dist.init_local_group(0, 2)
    except AssertionError as exc:
        res["init_local_group_twice"] = type(exc).__name__
    res["infer_launcher"] = dist.infer_launcher()

    (out / f"rank{rank}.json").write_text(json.dumps(res))
    td.destroy_process_group()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
