"""The checkpoint hook's view of the schedulers while ``runner.param_schedulers`` still
holds configs (a Runner that has not trained: MMEngine keeps what was passed there)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from runner_hooks_standard.checkpoint_progress import scheduler_states


class _Scheduler:
    def state_dict(self) -> dict[str, int]:
        return {"last_step": 3}


@pytest.mark.parametrize(
    ("schedulers", "states"),
    [
        (dict(type="MultiStepLR", milestones=[1], by_epoch=True), []),
        ([dict(type="MultiStepLR", milestones=[1])], []),
        (dict(gen=dict(type="MultiStepLR", milestones=[1])), []),
        (None, []),
        ([_Scheduler()], [{"last_step": 3}]),
        (dict(gen=[_Scheduler()], disc=_Scheduler()), [{"last_step": 3}] * 2),
    ],
)
def test_configs_have_no_state(schedulers: Any, states: list[Any]) -> None:
    assert scheduler_states(SimpleNamespace(param_schedulers=schedulers)) == states
