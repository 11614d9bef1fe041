"""Run under torchrun (2 ranks, gloo): collectives whose answers MMEngine 0.10.7 fixed.

Each value in ``<out>/rank<R>.json`` was compared with ``mmengine.dist`` on the
same inputs; the test pins them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import torch
import torch.distributed as td

from runner_core import distributed as dist


def described(t: torch.Tensor) -> list[Any]:
    return [t.tolist(), str(t.dtype), list(t.shape)]


def main(out: Path) -> None:
    td.init_process_group("gloo")
    rank = td.get_rank()
    res: dict[str, Any] = {}

    flags = torch.tensor([True, bool(rank), False])
    dist.all_reduce(flags, op="mean")
    res["bool_mean"] = described(flags)
    flag_dict = {"f": torch.tensor([[rank == 0, True]])}
    dist.all_reduce_dict(flag_dict, op="mean")
    res["bool_dict_mean"] = described(flag_dict["f"])

    big = torch.tensor([2**40 + 1 + rank, -3 - 2 * rank], dtype=torch.int64)
    dist.all_reduce(big, op="mean")
    res["int_mean_exact"] = described(big)

    mixed = {"i": torch.tensor([1 + rank, 3]), "f": torch.tensor(2.0 * rank + 1)}
    dist.all_reduce_dict(mixed, op="mean")
    res["mixed_dict_mean"] = {k: described(v) for k, v in mixed.items()}

    res["gather_dst1"] = [described(t) for t in dist.gather(torch.tensor([rank, 5]), dst=1)]
    res["gather_object_dst1"] = dist.gather_object(["x", rank], dst=1)
    src1 = torch.tensor([rank + 5.0])
    dist.broadcast(src1, src=1)
    res["broadcast_src1"] = described(src1)

    (out / f"rank{rank}.json").write_text(json.dumps(res))
    td.destroy_process_group()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
