"""TimeCounter: the average milliseconds per run, logged every log_interval runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runner_core.utils.dl_utils import TimeCounter
from runner_core.utils.dl_utils import time_counter as time_counter_module


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """perf_counter returns the next value of the list; each test gets fresh counters."""
    ticks: list[float] = []
    monkeypatch.setattr(time_counter_module.time, "perf_counter", lambda: ticks.pop(0))
    monkeypatch.setattr(TimeCounter, "instance_dict", {})
    yield ticks


def test_decorator_averages_after_the_warmup(
    clock: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    @TimeCounter(log_interval=2, warmup_interval=2, with_sync=False)
    def step() -> int:
        return 3

    clock.extend([0.0, 1.0, 1.0, 1.1, 2.0, 2.3, 3.0, 3.1, 4.0, 4.2])  # 1000, 100, 300, 100, 200 ms
    assert [step() for _ in range(5)] == [3, 3, 3, 3, 3]
    assert capsys.readouterr().out.splitlines() == [
        "[step]-time per run averaged in the past 2 runs: 100.0 ms",  # run 1 was warm-up
        "[step]-time per run averaged in the past 4 runs: 166.7 ms",  # (100 + 300 + 100) / 3
    ]


def test_context_manager_needs_a_tag_and_shares_counters_by_tag(
    clock: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    assert TimeCounter(tag="qa") is TimeCounter(tag="qa")
    clock.extend([0.0, 0.25])
    with TimeCounter(tag="qa", with_sync=False):
        pass
    assert capsys.readouterr().out == "[qa]-time per run averaged in the past 1 runs: 250.0 ms\n"
    with pytest.raises(ValueError, match="please specify the tag parameter") as info:
        with TimeCounter():
            pass
    assert isinstance(info.value, AssertionError)  # MMEngine asserts
    with pytest.raises(ValueError, match="warmup_interval=0"):
        TimeCounter(warmup_interval=0)
