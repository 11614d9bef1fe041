"""Two gloo ranks: ``optimizer=dict(type='ZeroRedundancyOptimizer', optimizer_type=...)``
gives the plain optimizer's parameters, shards its state, and checkpoints / resumes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from torchrun_helpers import rank_reports

WORKER = Path(__file__).with_name("_zero_optimizer_worker.py")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ranks(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return rank_reports(WORKER, tmp_path_factory.mktemp("zero_optimizer"))


@pytest.mark.parametrize("kind", ["sgd", "adamw"])
def test_built_from_the_registry_it_steps_as_the_plain_optimizer(
    ranks: list[dict[str, Any]], kind: str
) -> None:
    local = []
    for res in ranks:
        got = res[kind]
        assert got["type"] == "ZeroRedundancyOptimizer"
        assert got["local_type"] == {"sgd": "SGD", "adamw": "AdamW"}[kind]
        assert got["equal"], got["max_diff"]  # bitwise, three steps on the same gradients
        assert got["defaults_equal"]  # the local optimizer's full defaults, as a plain one
        local.append(got["local_params"])
    # each rank steps its own shard: together all 6 parameters, each once
    assert sum(local) == ranks[0][kind]["total_params"] == 6
    assert 0 < min(local)


def test_runner_training_matches_the_plain_optimizer(ranks: list[dict[str, Any]]) -> None:
    for res in ranks:  # DDP, 4 iterations: bitwise the weights plain AdamW gives
        assert res["runner_zero"] == res["runner_plain"]
    assert ranks[0]["runner_zero"] == ranks[1]["runner_zero"]


def test_checkpoint_holds_the_whole_state_and_resume_continues_exactly(
    ranks: list[dict[str, Any]],
) -> None:
    for res in ranks:
        # rank 0 gathered every rank's shard: state for all 6 parameters
        assert res["ckpt_state_params"] == [0, 1, 2, 3, 4, 5]
        assert res["ckpt_groups"] == [[0, 1, 2, 3, 4, 5]]
        # resumed at iteration 2 and trained to 4: the uninterrupted run's weights
        assert res["resumed"] == res["runner_zero"]
    # each rank took back only its shard of the state
    assert sorted(r["resumed_local_state"] for r in ranks) == sorted(
        r["adamw"]["local_params"] for r in ranks
    )
    assert sum(r["resumed_local_state"] for r in ranks) == 6
