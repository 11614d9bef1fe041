"""Two gloo ranks: collectives give MMEngine 0.10.7's values, dtypes and shapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from torchrun_helpers import rank_reports

WORKER = Path(__file__).with_name("_collectives_parity_worker.py")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ranks(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return rank_reports(WORKER, tmp_path_factory.mktemp("collectives_parity"))


def test_mean_of_bool_tensors_is_true_where_any_rank_is(ranks: list[dict[str, Any]]) -> None:
    # MMEngine divides in float and copies back: 0.5 -> True (was all False here)
    for res in ranks:
        assert res["bool_mean"] == [[True, True, False], "torch.bool", [3]]
        assert res["bool_dict_mean"] == [[[True, True]], "torch.bool", [1, 2]]


def test_integer_mean_is_exact_and_truncated(ranks: list[dict[str, Any]]) -> None:
    # MMEngine's float32 detour gives 2**40 here; ours keeps the exact truncated mean
    for res in ranks:
        assert res["int_mean_exact"] == [[2**40 + 1, -4], "torch.int64", [2]]


def test_all_reduce_dict_reduces_mixed_dtypes_in_their_common_dtype(
    ranks: list[dict[str, Any]],
) -> None:
    for res in ranks:
        assert res["mixed_dict_mean"] == {
            "i": [[1.5, 3.0], "torch.float32", [2]],
            "f": [2.0, "torch.float32", []],
        }


def test_gather_and_broadcast_with_rank_one_as_root(ranks: list[dict[str, Any]]) -> None:
    zero, one = ranks
    assert zero["gather_dst1"] == []
    assert one["gather_dst1"] == [[[0, 5], "torch.int64", [2]], [[1, 5], "torch.int64", [2]]]
    assert zero["gather_object_dst1"] is None
    assert one["gather_object_dst1"] == [["x", 0], ["x", 1]]
    for res in ranks:
        assert res["broadcast_src1"] == [[6.0], "torch.float32", [1]]
