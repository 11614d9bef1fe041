"""check_time: seconds since the previous call with the same id; the first call gives 0."""

from __future__ import annotations

import pytest

from runner_core.utils import check_time
from runner_core.utils import timer as timer_module


def test_check_time_starts_a_timer_then_measures_from_the_last_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = iter([10.0, 10.0, 12.5, 13.0])
    monkeypatch.setattr(timer_module, "perf_counter", lambda: next(clock))
    monkeypatch.setattr(timer_module, "_timers", {})
    assert check_time("qa-task") == 0  # 10.0 (start) and 10.0 (last check)
    assert check_time("qa-task") == pytest.approx(2.5)
    assert check_time("qa-task") == pytest.approx(0.5)
    assert set(timer_module._timers) == {"qa-task"}
