"""ProfilerHook writes a Chrome trace to the run folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runner_core.errors import ConfigError
from runner_hooks_standard.profiler import ProfilerHook


def test_profiles_the_first_iterations_into_the_run_folder(make_runner: Any) -> None:
    runner = make_runner(
        train_cfg=dict(by_epoch=True, max_epochs=1),
        custom_hooks=[dict(type="ProfilerHook", by_epoch=False, profile_times=2)],
    )
    runner.train()
    trace = Path(runner.log_dir) / "profiler_trace.json"
    events = json.loads(trace.read_text())["traceEvents"]
    assert any("linear" in str(e.get("name", "")).lower() for e in events)


def test_the_profiler_is_the_hooks_profiler_attribute_as_in_mmengine(make_runner: Any) -> None:
    import torch

    from runner_core.hooks import Hook

    seen: list[Any] = []

    class Probe(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
            seen.append(profiler.profiler)

    profiler = ProfilerHook(by_epoch=False, profile_times=2)
    runner = make_runner(train_cfg=dict(by_epoch=True, max_epochs=1), custom_hooks=[Probe()])
    runner.register_hook(profiler, "LOW")  # after the probe: the first two see it recording
    runner.train()
    assert isinstance(seen[0], torch.profiler.profile) and seen[0] is seen[1]
    assert seen[2] is None and profiler.profiler is None  # stopped after two iterations


def test_bad_options_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="did you mean|Did you mean"):
        ProfilerHook(on_trace_ready=dict(type="log_trac"))
    with pytest.raises(ConfigError, match="records nothing"):
        ProfilerHook(activity_with_cpu=False)


def test_profiling_more_epochs_than_the_run_has_is_refused(make_runner: Any) -> None:
    runner = make_runner(
        train_cfg=dict(by_epoch=True, max_epochs=2),
        custom_hooks=[dict(type="ProfilerHook", by_epoch=True, profile_times=3)],
    )
    with pytest.raises(ValueError, match=r"profile_times=3\) profiles more epochs than the run"):
        runner.train()  # MMEngine raises a ValueError here too
