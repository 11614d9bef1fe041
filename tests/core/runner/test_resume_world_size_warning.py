"""The warning a resume on another number of processes gives names the true numbers."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest

from runner_core.runner.checkpointing import _rank_local_state


def _resume(ckpt: dict[str, Any], world: int, caplog: pytest.LogCaptureFixture) -> list[str]:
    logger = logging.getLogger("resume-world-size-test")
    runner = SimpleNamespace(world_size=world, rank=world - 1, logger=logger)
    with caplog.at_level(logging.WARNING, logger=logger.name):
        assert _rank_local_state(runner, ckpt, "ckpt.pth") is ckpt
    return [r.getMessage() for r in caplog.records]


def test_an_mmengine_checkpoint_on_two_ranks_is_not_said_to_come_from_one(caplog) -> None:
    # MMEngine's checkpoints record no process count: none is made up
    [message] = _resume({"state_dict": {}}, 2, caplog)
    assert "does not record how many processes saved it" in message
    assert "1 process" not in message


@pytest.mark.parametrize("loop", [{"world_size": 1}, {"epoch": 1}])
def test_a_checkpoint_of_one_process_resumed_by_two_says_so(caplog, loop: dict) -> None:
    # ours: per_rank comes from 2+ processes only, and the loop may record the count
    [message] = _resume({"loop": loop}, 2, caplog)
    assert "saved by 1 process(es) and is resumed by 2" in message


def test_one_process_resuming_a_checkpoint_without_a_count_is_quiet(caplog) -> None:
    assert _resume({"state_dict": {}}, 1, caplog) == []
