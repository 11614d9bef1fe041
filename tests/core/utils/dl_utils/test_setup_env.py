"""set_multi_processing: start method, OpenCV threads, one OMP/MKL thread per distributed process."""

from __future__ import annotations

import os
from typing import Any

import pytest

from runner_core.utils.dl_utils import set_multi_processing, setup_env


@pytest.fixture
def start_methods(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record set_start_method instead of changing this process's setting."""
    calls: list[Any] = []
    current = {"method": "spawn"}
    monkeypatch.setattr(
        setup_env.multiprocessing, "get_start_method", lambda allow_none=False: current["method"]
    )
    monkeypatch.setattr(
        setup_env.multiprocessing,
        "set_start_method",
        lambda method, force=False: calls.append((method, force)),
    )
    monkeypatch.setattr(setup_env.platform, "system", lambda: "Linux")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    return calls


def test_a_different_start_method_is_forced_with_a_warning(start_methods: list[Any]) -> None:
    with pytest.warns(UserWarning, match="`fork` is different from the previous setting `spawn`"):
        set_multi_processing()
    assert start_methods == [("fork", True)]
    assert "OMP_NUM_THREADS" not in os.environ  # not distributed: left alone


def test_distributed_sets_one_thread_only_where_unset(
    start_methods: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MKL_NUM_THREADS", "4")
    with pytest.warns(UserWarning) as record:
        set_multi_processing(mp_start_method="spawn", distributed=True)
    assert [str(w.message).split(" environment")[0] for w in record] == ["Setting OMP_NUM_THREADS"]
    assert os.environ["OMP_NUM_THREADS"] == "1" and os.environ["MKL_NUM_THREADS"] == "4"
    assert start_methods == [("spawn", True)]
