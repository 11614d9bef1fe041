"""ProfilerHook, EmptyCacheHook, SyncBuffersHook and DistSamplerSeedHook next to MMEngine 0.10.7's.

Compared on the same tiny run (``custom_hooks=[dict(type=..., ...)]``): where
MMEngine writes a trace, ours writes it to the same place with the same
operators in it; where MMEngine fails late (after profiling) or with torch's
bare message, ours refuses the options when the hook is built.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader

from runner_core import Runner
from runner_core.errors import ConfigError
from runner_hooks_standard.empty_cache import EmptyCacheHook
from runner_hooks_standard.profiler import ProfilerHook
from runner_hooks_standard.sampler_seed import DistSamplerSeedHook
from runner_hooks_standard.sync_buffers import SyncBuffersHook


def logged(runner: Runner) -> list[str]:
    """The run's log lines from now on, as ``LEVEL: message``."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(f"{record.levelname}: {record.getMessage()}")

    runner.logger.setLevel(logging.INFO)
    runner.logger.addHandler(Keep(logging.INFO))
    return lines


def one_epoch(make_runner: Any, **hook: Any) -> Runner:
    return make_runner(
        train_cfg=dict(by_epoch=True, max_epochs=1),
        custom_hooks=[dict(type="ProfilerHook", **hook)],
    )


def linear_calls(trace: Path) -> int:
    """How many forward passes of the linear model a Chrome trace holds."""
    events = json.loads(trace.read_text())["traceEvents"]
    return sum(e.get("cat") == "cpu_op" and e.get("name") == "aten::addmm" for e in events)


# -- ProfilerHook: where traces go -------------------------------------------------------
def test_tb_trace_dir_name_is_relative_to_the_run_folder(
    make_runner: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MMEngine joins a relative ``dir_name`` to ``runner.log_dir`` and says where."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    runner = one_epoch(
        make_runner, on_trace_ready=dict(type="tb_trace", dir_name="tb", worker_name="w0")
    )
    lines = logged(runner)
    runner.train()
    folder = Path(runner.log_dir) / "tb"
    traces = list(folder.glob("w0.*.pt.trace.json"))
    assert len(traces) == 1 and linear_calls(traces[0]) == 8
    assert not (cwd / "tb").exists()
    assert f"INFO: trace_files of ProfilerHook will be saved to {folder}." in lines


def test_a_schedule_writes_its_active_steps_to_the_json_trace(make_runner: Any) -> None:
    """MMEngine's ``json_trace_path`` with a schedule holds what is left after the
    last cycle (here: no iteration at all); ours holds the 2 active iterations."""
    runner = one_epoch(
        make_runner,
        by_epoch=False,
        profile_times=4,
        schedule=dict(wait=1, warmup=1, active=2),
    )
    lines = logged(runner)
    runner.train()
    trace = Path(runner.log_dir) / "profiler_trace.json"
    assert linear_calls(trace) == 2
    assert f"INFO: ProfilerHook: trace written to {trace}" in lines


def test_a_cycle_cut_short_is_written_and_a_later_empty_one_is_not(
    make_runner: Any, tmp_path: Path
) -> None:
    cut = one_epoch(
        make_runner,
        by_epoch=False,
        profile_times=3,  # the profile stops after the first of 2 active steps
        schedule=dict(wait=1, warmup=1, active=2),
        json_trace_path=str(tmp_path / "cut.json"),
    )
    cut.train()
    assert linear_calls(tmp_path / "cut.json") == 1
    again = one_epoch(  # a second cycle starts (empty) when the epoch ends
        make_runner,
        schedule=dict(wait=1, warmup=1, active=2),
        json_trace_path=str(tmp_path / "full.json"),
    )
    again.train()
    assert linear_calls(tmp_path / "full.json") == 2


def test_a_schedule_that_never_records_says_so(make_runner: Any, tmp_path: Path) -> None:
    runner = one_epoch(
        make_runner,
        by_epoch=False,
        profile_times=2,
        schedule=dict(wait=1, warmup=1, active=2),
        json_trace_path=str(tmp_path / "t.json"),
    )
    lines = logged(runner)
    runner.train()
    assert not (tmp_path / "t.json").exists()
    assert any(
        line.startswith("WARNING: ProfilerHook recorded nothing: profiling stopped after 2 ")
        for line in lines
    )


def test_log_trace_takes_every_table_argument(make_runner: Any) -> None:
    """MMEngine passes the dict's other keys to ``key_averages().table()``."""
    runner = one_epoch(
        make_runner, on_trace_ready=dict(type="log_trace", row_limit=2, max_name_column_width=12)
    )
    lines = logged(runner)
    runner.train()
    (summary,) = [line for line in lines if line.startswith("INFO: Profiler summary:")]
    rule = summary.splitlines()[1]
    assert rule.split("  ")[0] == "-" * 12


def test_a_handler_that_saves_the_trace_itself_does_not_end_the_run(
    make_runner: Any, tmp_path: Path
) -> None:
    """torch saves a trace once: a second save raised after profiling (MMEngine too)."""

    def own(prof: Any) -> None:
        prof.export_chrome_trace(str(tmp_path / "own.json"))

    runner = one_epoch(make_runner, on_trace_ready=own, json_trace_path=str(tmp_path / "j.json"))
    lines = logged(runner)
    runner.train()
    assert linear_calls(tmp_path / "own.json") == 8
    assert any(line.startswith("WARNING: ProfilerHook could not write") for line in lines)


# -- ProfilerHook: options refused when the hook is built -------------------------------
@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        (dict(schedule=dict(wait=1, warmpu=1, active=2)), TypeError, "Did you mean 'warmup'"),
        (dict(schedule=[1, 1, 2]), AssertionError, "schedule must be a dict"),
        (
            dict(on_trace_ready=dict(type="log_trace", sortby="cpu_time_total")),
            TypeError,
            "Did you mean 'sort_by'",
        ),
        (
            dict(on_trace_ready=dict(type="tb_trace", dirname="tb")),
            TypeError,
            "Did you mean 'dir_name'",
        ),
        (dict(on_trace_ready=dict(sort_by="cpu_time_total")), KeyError, "has no 'type'"),
        (
            dict(on_trace_ready=dict(type="tb_trace"), json_trace_path="t.json"),
            ValueError,
            "cannot take json_trace_path",
        ),
        (dict(activity_with_cpu=False), AssertionError, "records nothing"),
    ],
)
def test_bad_options_fail_when_the_hook_is_built(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    """MMEngine raises the same exception types, some only after profiling."""
    with pytest.raises(error, match=message) as info:
        ProfilerHook(**options)
    assert isinstance(info.value, ConfigError)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without CUDA")
def test_cuda_activity_on_a_machine_without_cuda(make_runner: Any) -> None:
    runner = one_epoch(make_runner, activity_with_cpu=False, activity_with_cuda=True)
    with pytest.raises(AssertionError, match="ProfilerHook cannot record CUDA activity"):
        runner.train()  # torch's own: "No activities specified for the profiler"
    both = one_epoch(make_runner, activity_with_cuda=True)
    lines = logged(both)
    both.train()
    assert (
        "WARNING: ProfilerHook: this machine cannot record CUDA activity; profiling CPU only."
        in lines
    )
    assert linear_calls(Path(both.log_dir) / "profiler_trace.json") == 8


# -- the other hooks ----------------------------------------------------------------------
def test_empty_cache_sync_buffers_and_sampler_seed_are_no_ops_on_one_cpu_process(
    make_runner: Any,
) -> None:
    hooks: list[dict[str, Any]] = [
        dict(type="EmptyCacheHook", before_epoch=True, after_epoch=True, after_iter=True),
        dict(type="SyncBuffersHook"),
        dict(type="DistSamplerSeedHook"),
    ]
    runner = make_runner(val=True, custom_hooks=hooks, train_cfg=dict(max_epochs=2))
    runner.train()
    assert runner.epoch == 2
    # EmptyCacheHook acts at train, val and test points alike (MMEngine's helpers)
    assert set(EmptyCacheHook(after_iter=True).get_triggered_stages()) == {
        f"{when}_{mode}_{unit}"
        for mode in ("train", "val", "test")
        for when, unit in (("before", "epoch"), ("after", "epoch"), ("after", "iter"))
    }


def test_sync_buffers_leaves_a_single_process_alone(fake_runner: Callable[..., Any]) -> None:
    model = torch.nn.BatchNorm1d(2)
    mean = model.running_mean
    assert mean is not None
    mean.fill_(3.0)
    SyncBuffersHook().after_train_epoch(fake_runner(model=model))
    assert mean.tolist() == [3.0, 3.0]


class _Sampler(torch.utils.data.Sampler):
    def __init__(self) -> None:
        self.epochs: list[int] = []

    def __iter__(self) -> Any:
        return iter(range(4))

    def __len__(self) -> int:
        return 4


class _SeededSampler(_Sampler):
    def set_epoch(self, epoch: int) -> None:
        self.epochs.append(epoch)


def test_sampler_seed_skips_samplers_without_set_epoch(fake_runner: Callable[..., Any]) -> None:
    runner = fake_runner()
    runner.train_loop.dataloader = DataLoader(range(4), sampler=_Sampler())  # type: ignore[arg-type]
    DistSamplerSeedHook().before_train_epoch(runner)  # no error, as in MMEngine
    inner = _SeededSampler()
    batches = torch.utils.data.BatchSampler(inner, 2, False)
    runner.train_loop.dataloader = DataLoader(range(4), batch_sampler=batches)  # type: ignore[arg-type]
    runner.train_loop.epoch = 3
    DistSamplerSeedHook().before_train_epoch(runner)
    assert inner.epochs == [3]


# -- the exception classes MMEngine's own hook tests expect ------------------------------------
@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda: _logger(interval="100"), TypeError),
        (lambda: _logger(interval_exp_name="100"), TypeError),
        (lambda: _logger(interval=0), ValueError),
        (lambda: _logger(ignore_last="False"), TypeError),  # the string would read as True
        (lambda: _checkpoint(save_best=dict(key="acc")), AssertionError),
        (lambda: _checkpoint(save_best=["auto", "acc"]), AssertionError),
        (lambda: _checkpoint(save_best=["acc"], rule=1), AssertionError),
        (lambda: ProfilerHook(schedule=dict()), TypeError),
        (lambda: ProfilerHook(schedule=dict(wait=1, active=1)), TypeError),
    ],
)
def test_bad_hook_arguments_raise_the_exception_mmengine_raises(
    build: Callable[[], Any], expected: type[Exception]
) -> None:
    with pytest.raises(expected):
        build()


def _logger(**kwargs: Any) -> Any:
    from runner_hooks_standard.logger import LoggerHook

    return LoggerHook(**kwargs)


def _checkpoint(**kwargs: Any) -> Any:
    from runner_hooks_standard.checkpoint import CheckpointHook

    return CheckpointHook(**kwargs)
