"""``mmengine.dist``'s API over two real gloo ranks under torchrun: MMEngine's answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from torchrun_helpers import rank_reports

WORKER = Path(__file__).with_name("_dist_api_worker.py")


@pytest.fixture(scope="module")
def ranks(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return rank_reports(WORKER, tmp_path_factory.mktemp("dist_api"))


pytestmark = pytest.mark.slow


def test_rank_world_size_backend_with_group(ranks: list[dict[str, Any]]) -> None:
    for r, res in enumerate(ranks):
        assert res["info"] == [r, 2, [r, 2]]
        assert res["backend"] == ["gloo", "gloo", "cpu"]
        assert res["main"] is (r == 0)
        assert res["infer_launcher"] == "pytorch"


def test_all_reduce_ops(ranks: list[dict[str, Any]]) -> None:
    expected = {
        "sum": [[3.0, 4.0], True, "torch.float32"],
        "SUM": [[3.0], True, "torch.float32"],
        "mean": [[1.5, 2.0], True, "torch.float32"],
        "max": [[2.0], True, "torch.float32"],
        "min": [[1.0], True, "torch.float32"],
        "product": [[6.0], True, "torch.float32"],
        "mean_int": [[1, -4], True, "torch.int64"],  # in place, truncated like MMEngine
        "bor": [[3], True, "torch.int64"],
    }
    for res in ranks:
        assert res["all_reduce"] == expected


def test_tensor_and_object_collectives(ranks: list[dict[str, Any]]) -> None:
    for r, res in enumerate(ranks):
        assert res["all_gather"] == [[0, 0], [1, 10]]
        assert res["gather"] == ([[0], [1]] if r == 0 else [])
        assert res["gather_object"] == ([{"r": 0}, {"r": 1}] if r == 0 else None)
        assert res["broadcast"] == [[5.0, 6.0], True]
        assert res["broadcast_object_list"] == [True, ["from0", {"a": 0}]]
        assert res["seed_shared"] is True
    assert ranks[1]["seed_subgroup"] is True  # a group without global rank 0 shares one too


def test_all_reduce_dict_and_params(ranks: list[dict[str, Any]]) -> None:
    for res in ranks:
        assert res["all_reduce_dict"] == [{"b": [1.5, 3.0], "a": [[1.0]]}, True, [1, 1]]
        for name in ("coalesced", "per_tensor", "bucketed"):
            assert res["all_reduce_params"][name] == [[[1.0, 1.0]], [3.0]], name


def test_collect_results_interleaves_on_rank_zero_only(ranks: list[dict[str, Any]]) -> None:
    zero, one = ranks
    assert zero["collect_cpu"] == ["s0", None, "s2", "s3"]
    assert zero["collect_gpu"] == ["s0", None, "s2", "s3", "s4"]
    assert zero["collect_results_cpu"] == [0, 1, [0], [1]]
    assert zero["collect_results_gpu"] == [0, 1]
    for key in ("collect_cpu", "collect_gpu", "collect_results_cpu", "collect_results_gpu"):
        assert one[key] is None, key
    assert not zero["tmpdir_made"] and not one["tmpdir_made"]


def test_local_rank_and_size(ranks: list[dict[str, Any]]) -> None:
    for r, res in enumerate(ranks):
        assert res["local_from_env"] == [r, 2]
        assert res["local_from_group"] == [r, 2, True]
        assert res["init_local_group_twice"] == "DistributedStateError"
