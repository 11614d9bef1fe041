"""``ProfilerHook``: profile the first epochs or iterations with ``torch.profiler``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from runner_core.contract import RunnerAPI
from runner_core.errors import ConfigError, did_you_mean
from runner_core.hooks import Hook, Priority

_TRACE_TYPES = ("log_trace", "tb_trace")


class ProfilerHook(Hook):
    """Profile training with ``torch.profiler`` and write the trace to the run folder.

    Args:
        by_epoch: profile whole epochs (True) or iterations (False).
        profile_times: how many epochs/iterations to profile, from the start.
        activity_with_cpu, activity_with_cuda: which activities to record.
        schedule: ``torch.profiler.schedule`` arguments (``dict(wait=1,
            warmup=1, active=2)``); the profiler then steps every iteration.
        on_trace_ready: a callable, ``dict(type='log_trace', sort_by=...,
            row_limit=...)`` (print a table) or ``dict(type='tb_trace',
            dir_name=...)`` (TensorBoard plugin traces, default
            ``<run folder>/tf_tracing_logs``).
        record_shapes, profile_memory, with_stack, with_flops: as in ``torch.profiler.profile``.
        json_trace_path: where the Chrome trace (open in ``chrome://tracing``
            or Perfetto) is written; default ``<run folder>/profiler_trace.json``
            when neither ``schedule`` nor ``on_trace_ready`` is given.
    """

    priority = Priority.VERY_LOW

    def __init__(
        self,
        *,
        by_epoch: bool = True,
        profile_times: int = 1,
        activity_with_cpu: bool = True,
        activity_with_cuda: bool = False,
        schedule: Mapping[str, int] | None = None,
        on_trace_ready: Callable[..., Any] | Mapping[str, Any] | None = None,
        record_shapes: bool = False,
        profile_memory: bool = False,
        with_stack: bool = False,
        with_flops: bool = False,
        json_trace_path: str | Path | None = None,
    ) -> None:
        if profile_times < 1:
            raise ConfigError(f"ProfilerHook profile_times must be >= 1, got {profile_times}.")
        if not (activity_with_cpu or activity_with_cuda):
            raise ConfigError(
                "ProfilerHook records nothing: set activity_with_cpu=True and/or "
                "activity_with_cuda=True."
            )
        if isinstance(on_trace_ready, Mapping):
            kind = on_trace_ready.get("type")
            if kind not in _TRACE_TYPES:
                raise ConfigError(
                    f"ProfilerHook on_trace_ready type must be one of {_TRACE_TYPES}, got "
                    f"{kind!r}.{did_you_mean(str(kind), _TRACE_TYPES)}"
                )
        elif on_trace_ready is not None and not callable(on_trace_ready):
            raise ConfigError(
                f"ProfilerHook on_trace_ready must be a callable or a dict, got {on_trace_ready!r}."
            )
        self.by_epoch = by_epoch
        self.profile_times = profile_times
        self.activity_with_cpu = activity_with_cpu
        self.activity_with_cuda = activity_with_cuda
        self.schedule = dict(schedule) if schedule is not None else None
        self.on_trace_ready = on_trace_ready
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_flops = with_flops
        self.json_trace_path = json_trace_path
        self.trace_path: Path | None = None
        self._profiler: Any = None
        self._done = 0

    def _trace_handler(self, runner: RunnerAPI) -> Any:
        import torch

        spec = self.on_trace_ready
        if spec is None:
            return None
        if callable(spec):
            return spec
        spec = dict(spec)
        kind = spec.pop("type")
        if kind == "tb_trace":
            folder = spec.pop("dir_name", None) or str(Path(runner.log_dir) / "tf_tracing_logs")
            return torch.profiler.tensorboard_trace_handler(folder, **spec)
        sort_by = spec.get("sort_by", "self_cpu_time_total")
        row_limit = spec.get("row_limit", 20)

        def log_trace(prof: Any) -> None:
            runner.logger.info(
                "Profiler summary:\n%s",
                prof.key_averages().table(sort_by=sort_by, row_limit=row_limit),
            )

        return log_trace

    def before_train(self, runner: RunnerAPI) -> None:
        import torch

        longest = runner.max_epochs if self.by_epoch else runner.max_iters
        if longest is not None and longest < self.profile_times:
            unit = "epochs" if self.by_epoch else "iterations"
            raise ConfigError(  # MMEngine refuses it too (a ValueError)
                f"ProfilerHook(profile_times={self.profile_times}) profiles more {unit} than "
                f"the run has ({longest}): set profile_times to at most {longest}."
            )
        activities = []
        if self.activity_with_cpu:
            activities.append(torch.profiler.ProfilerActivity.CPU)
        if self.activity_with_cuda:
            activities.append(torch.profiler.ProfilerActivity.CUDA)
        schedule = torch.profiler.schedule(**self.schedule) if self.schedule else None
        if self.json_trace_path is not None:
            self.trace_path = Path(self.json_trace_path)
        elif self.schedule is None and self.on_trace_ready is None:
            self.trace_path = Path(runner.log_dir) / "profiler_trace.json"
        self._profiler = torch.profiler.profile(
            activities=activities,
            schedule=schedule,
            on_trace_ready=self._trace_handler(runner),
            record_shapes=self.record_shapes,
            profile_memory=self.profile_memory,
            with_stack=self.with_stack,
            with_flops=self.with_flops,
        )
        self._profiler.__enter__()
        self._done = 0
        runner.logger.info(
            "ProfilerHook: profiling the first %d %s.",
            self.profile_times,
            "epoch(s)" if self.by_epoch else "iteration(s)",
        )

    def after_train_iter(
        self,
        runner: RunnerAPI,
        batch_idx: int,
        data_batch: Any = None,
        outputs: Any = None,
    ) -> None:
        if self._profiler is None:
            return
        if self.schedule is not None:
            self._profiler.step()
        if not self.by_epoch:
            self._done += 1
            if self._done >= self.profile_times:
                self._stop(runner)

    def after_train_epoch(self, runner: RunnerAPI) -> None:
        if self._profiler is None or not self.by_epoch:
            return
        self._done += 1
        if self._done >= self.profile_times:
            self._stop(runner)

    def after_train(self, runner: RunnerAPI) -> None:
        if self._profiler is not None:
            self._stop(runner)

    def _stop(self, runner: RunnerAPI) -> None:
        profiler, self._profiler = self._profiler, None
        profiler.__exit__(None, None, None)
        if self.trace_path is not None:
            self.trace_path.parent.mkdir(parents=True, exist_ok=True)
            profiler.export_chrome_trace(str(self.trace_path))
            runner.logger.info("ProfilerHook: trace written to %s", self.trace_path)

    def __repr__(self) -> str:
        return f"ProfilerHook(by_epoch={self.by_epoch}, profile_times={self.profile_times})"
