"""FSDP2 (fully_shard) on 2 CPU processes over gloo: training, full and sharded checkpoints, resume."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn
from torchrun_helpers import Run, run_worker

pytestmark = pytest.mark.slow

FSDP = {"type": "FullyShardedDataParallel"}


@pytest.fixture(scope="module")
def fsdp_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    tmp = tmp_path_factory.mktemp("fsdp")
    return tmp, run_worker(
        tmp, {"wrapper": FSDP, "save_every_epoch": True, "sharded_roundtrip": True}
    )


def test_fsdp_shards_and_matches_one_process(fsdp_run: tuple[Path, Run], single_process_run: Run):
    _, run = fsdp_run
    r0, r1, single = run.rank(0), run.rank(1), single_process_run.rank(0)
    assert r0["model_type"] == "FullyShardedDataParallel"
    # each rank holds half of every parameter (dim 0), the gathered state is whole
    for key, full in single["state"].items():
        assert r0["local_shapes"][key][0] + r1["local_shapes"][key][0] == full.shape[0]
        torch.testing.assert_close(r0["state"][key], full, atol=1e-6, rtol=0)
    assert r0["metrics"] == r1["metrics"] == single["metrics"]
    # the gathered optimizer state has the single-process layout, momentum included
    for i, st in single["optimizer"]["state"].items():
        torch.testing.assert_close(
            r0["optimizer"]["state"][i]["momentum_buffer"], st["momentum_buffer"], atol=1e-6, rtol=0
        )


def test_fsdp_checkpoint_loads_into_a_single_process_model(fsdp_run: tuple[Path, Run]):
    tmp, run = fsdp_run
    ckpt = torch.load(tmp / "work" / "epoch_2.pth", weights_only=True)
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    net.load_state_dict({k.removeprefix("module."): v for k, v in ckpt["state_dict"].items()})
    for key, value in run.rank(0)["state"].items():
        assert torch.equal(net.state_dict()[key.removeprefix("module.")], value)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    optimizer.load_state_dict(ckpt["optimizer"])  # plain torch layout: loads as it is
    assert all("momentum_buffer" in s for s in optimizer.state.values())


def test_fsdp_sharded_checkpoint_roundtrip_and_consolidation(fsdp_run: tuple[Path, Run]):
    from runner_core.distributed.checkpoint import consolidate_sharded

    tmp, run = fsdp_run
    assert run.rank(0)["sharded_roundtrip_equal"] and run.rank(1)["sharded_roundtrip_equal"]
    assert sorted(p.name for p in (tmp / "out" / "sharded").glob("*.distcp")) == [
        "__0_0.distcp",
        "__1_0.distcp",
    ]
    merged = torch.load(
        consolidate_sharded(tmp / "out" / "sharded", tmp / "merged.pth"), weights_only=False
    )
    for key, value in run.rank(0)["state"].items():
        assert torch.equal(merged["state_dict"][key], value)


def test_fsdp_resume_equals_uninterrupted(fsdp_run: tuple[Path, Run], tmp_path: Path):
    tmp, run = fsdp_run
    resumed = run_worker(
        tmp_path, {"wrapper": FSDP, "resume": str(tmp / "work" / "epoch_1.pth")}
    ).rank(0)
    assert resumed["iter"] == 16
    for key, value in run.rank(0)["state"].items():
        torch.testing.assert_close(resumed["state"][key], value, atol=1e-7, rtol=0)
    for i, st in run.rank(0)["optimizer"]["state"].items():
        torch.testing.assert_close(
            resumed["optimizer"]["state"][i]["momentum_buffer"],
            st["momentum_buffer"],
            atol=1e-7,
            rtol=0,
        )


def test_fsdp_async_save_writes_the_same_checkpoint(
    fsdp_run: tuple[Path, Run], tmp_path_factory: pytest.TempPathFactory
):
    """Every rank gathers, rank 0 writes in the background; sharded: DCP's async_save."""
    tmp, _ = fsdp_run
    other = tmp_path_factory.mktemp("fsdp_async")
    run = run_worker(
        other,
        {"wrapper": FSDP, "save_every_epoch": True, "sharded_roundtrip": True, "async_save": True},
    )
    assert run.rank(0)["sharded_roundtrip_equal"] and run.rank(1)["sharded_roundtrip_equal"]
    for name in ("epoch_1.pth", "epoch_2.pth"):
        sync = torch.load(tmp / "work" / name, weights_only=True)
        background = torch.load(other / "work" / name, weights_only=True)
        for key, value in sync["state_dict"].items():
            assert torch.equal(background["state_dict"][key], value), (name, key)
        for i, st in sync["optimizer"]["state"].items():
            assert torch.equal(
                background["optimizer"]["state"][i]["momentum_buffer"], st["momentum_buffer"]
            )
    assert not [p for p in (other / "work").iterdir() if ".tmp-" in p.name]
