"""CheckpointHook on two gloo ranks: the re-save after validation is decided by rank 0."""

from __future__ import annotations

from pathlib import Path

import pytest
from torchrun_helpers import rank_reports

WORKER = Path(__file__).with_name("_checkpoint_rank0_state_worker.py")

pytestmark = pytest.mark.slow


def test_a_hook_state_changed_on_rank_0_only_is_saved_without_a_hang(tmp_path: Path) -> None:
    ranks = rank_reports(WORKER, tmp_path)  # a hang fails here, at the helper's timeout
    assert [r["done"] for r in ranks] == [True, True]
    # the file holds rank 0's state: the history validation added after the first save
    assert len(ranks[0]["saved_history"]) == 1 and len(ranks[0]["saved_history"][0]) == 1
