"""Single-process behaviour of the distributed helpers: cheap no-ops, no torch import."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from runner_core import distributed as dist


def test_single_process_answers() -> None:
    assert dist.get_rank() == 0
    assert dist.get_world_size() == 1
    assert dist.get_dist_info() == (0, 1)
    assert dist.is_distributed() is False
    assert dist.is_main_process() is True
    dist.barrier()  # nothing to wait for


def test_local_rank_comes_from_the_launcher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    assert dist.get_local_rank() == 0
    monkeypatch.setenv("LOCAL_RANK", "3")
    assert dist.get_local_rank() == 3


def test_collectives_are_identity_in_one_process() -> None:
    payload = {"a": [1, 2]}
    assert dist.broadcast_object(payload) is payload
    assert dist.all_gather_object(payload) == [payload]
    t = torch.tensor([1.0, 2.0])
    assert dist.all_reduce(t, op="mean") is t
    assert t.tolist() == [1.0, 2.0]


def test_all_reduce_rejects_unknown_op() -> None:
    with pytest.raises(ValueError, match=r"op='maxx'.*Did you mean 'max'\?"):
        dist.all_reduce(torch.zeros(1), op="maxx")
    with pytest.raises(ValueError, match="choose one of sum, mean, product, min, max"):
        dist.all_reduce(torch.zeros(1), op=None)  # type: ignore[arg-type]


def test_master_only_runs_on_rank_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    @dist.master_only
    def write(x: int) -> int:
        calls.append(x)
        return x * 2

    assert write(2) == 4
    monkeypatch.setattr("runner_core.distributed.utils.get_rank", lambda group=None: 1)
    assert write(3) is None
    assert calls == [2]
    assert write.__name__ == "write"


def test_sync_random_seed_leaves_global_rngs_alone() -> None:
    import random

    state = (random.getstate(), torch.get_rng_state())
    seed = dist.sync_random_seed()
    assert isinstance(seed, int) and 0 <= seed < 2**31
    assert random.getstate() == state[0]
    assert torch.equal(torch.get_rng_state(), state[1])


def test_importing_dist_does_not_import_torch() -> None:
    code = (
        "import sys, runner_core.distributed as d; "
        "assert d.get_rank() == 0 and d.get_world_size() == 1; "
        "assert d.get_local_size() == 1 and d.get_backend() is None; "
        "assert callable(d.collect_results) and callable(d.init_dist) and callable(d.infer_launcher); "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)


def test_local_rank_and_size_come_from_the_launcher_before_the_group_exists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under torchrun, before init: rank 1 of 2 read local size 1 beside local rank 1."""
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    assert (dist.get_local_rank(), dist.get_local_size()) == (1, 2)
    monkeypatch.delenv("LOCAL_RANK")
    monkeypatch.delenv("LOCAL_WORLD_SIZE")
    assert (dist.get_local_rank(), dist.get_local_size()) == (0, 1)
