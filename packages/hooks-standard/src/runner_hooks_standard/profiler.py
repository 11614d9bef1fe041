"""``ProfilerHook``: profile the first epochs or iterations with ``torch.profiler``."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from runner_core.contract import RunnerAPI
from runner_core.errors import (
    ConfigAssertionError,
    ConfigError,
    ConfigKeyError,
    ConfigTypeError,
    did_you_mean,
)
from runner_core.hooks import Hook, Priority

_TRACE_TYPES = ("log_trace", "tb_trace")


def _parameters(fn: Callable[..., Any]) -> list[str]:
    return [name for name in inspect.signature(fn).parameters if name != "self"]


def _check_keys(what: str, given: Iterable[str], known: list[str]) -> None:
    """Refuse keys ``fn`` does not take now, not after a profiled run (MMEngine: a TypeError)."""
    for key in given:
        if key not in known:
            raise ConfigTypeError(
                f"ProfilerHook {what} has no argument {key!r}.{did_you_mean(key, known)} "
                f"It takes {', '.join(known)}."
            )


class ProfilerHook(Hook):
    """Profile training with ``torch.profiler`` and write the trace to the run folder.

    Args:
        by_epoch: profile whole epochs (True) or iterations (False).
        profile_times: how many epochs/iterations to profile, from the start.
        activity_with_cpu, activity_with_cuda: which activities to record.
        schedule: ``torch.profiler.schedule`` arguments (``dict(wait=1,
            warmup=1, active=2)``); the profiler then steps every iteration.
        on_trace_ready: a callable, ``dict(type='log_trace', sort_by=...,
            row_limit=...)`` (log a table, by default the 20 rows of most
            ``self_cpu_time_total``; the other keys of
            ``key_averages().table()`` work too) or ``dict(type='tb_trace',
            dir_name=..., worker_name=...)`` (TensorBoard plugin traces in
            ``dir_name``, relative to the run folder; default
            ``<run folder>/tf_tracing_logs``).
        record_shapes, profile_memory, with_stack, with_flops: as in ``torch.profiler.profile``.
        json_trace_path: where the Chrome trace (open in ``chrome://tracing``
            or Perfetto) is written; default ``<run folder>/profiler_trace.json``
            when ``on_trace_ready`` is not given. With a ``schedule`` it holds
            the last recorded cycle. ``tb_trace`` writes its own traces, so it
            takes no ``json_trace_path``.
    """

    priority: int | str = Priority.VERY_LOW

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
        import torch

        if profile_times < 1:
            raise ConfigError(f"ProfilerHook profile_times must be >= 1, got {profile_times}.")
        if not (activity_with_cpu or activity_with_cuda):
            raise ConfigAssertionError(  # torch asserts: "No valid profiler activities found"
                "ProfilerHook records nothing: set activity_with_cpu=True and/or "
                "activity_with_cuda=True."
            )
        if schedule is not None:
            if not isinstance(schedule, Mapping):
                raise ConfigAssertionError(  # MMEngine asserts a dict
                    f"ProfilerHook schedule must be a dict of torch.profiler.schedule "
                    f"arguments (dict(wait=1, warmup=1, active=2)), got {schedule!r}."
                )
            _check_keys("schedule", schedule, _parameters(torch.profiler.schedule))
            needed = [k for k in ("wait", "warmup", "active") if k not in schedule]
            if needed:  # torch.profiler.schedule requires them: MMEngine's TypeError
                raise ConfigTypeError(
                    f"ProfilerHook schedule={dict(schedule)!r} lacks {needed}; "
                    "torch.profiler.schedule needs wait, warmup and active, e.g. "
                    "schedule=dict(wait=1, warmup=1, active=2)."
                )
        if isinstance(on_trace_ready, Mapping):
            options = dict(on_trace_ready)
            if "type" not in options:
                raise ConfigKeyError(  # MMEngine: KeyError 'type'
                    f"ProfilerHook on_trace_ready={options!r} has no 'type': use "
                    "dict(type='log_trace', ...) or dict(type='tb_trace', ...)."
                )
            kind = options.pop("type")
            if kind not in _TRACE_TYPES:
                raise ConfigError(
                    f"ProfilerHook on_trace_ready type must be one of {_TRACE_TYPES}, got "
                    f"{kind!r}.{did_you_mean(str(kind), _TRACE_TYPES)}"
                )
            if kind == "log_trace":
                from torch.autograd.profiler_util import EventList

                _check_keys("on_trace_ready 'log_trace'", options, _parameters(EventList.table))
            else:
                known = _parameters(torch.profiler.tensorboard_trace_handler)
                _check_keys("on_trace_ready 'tb_trace'", options, known)
                if json_trace_path is not None:
                    raise ConfigError(  # MMEngine warns, then fails after profiling
                        "ProfilerHook cannot take json_trace_path with "
                        "on_trace_ready=dict(type='tb_trace'): the TensorBoard handler "
                        "already writes the Chrome trace (<dir_name>/<worker_name>."
                        "<time>.pt.trace.json) and torch saves a trace once. Drop "
                        "json_trace_path, or name the file with worker_name=..."
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
        self._written = False
        self._stopping = False

    def _handler(self, runner: RunnerAPI) -> Callable[[Any], None] | None:
        """The ``on_trace_ready`` the options ask for (None: nothing to do per cycle)."""
        import torch

        spec = self.on_trace_ready
        if spec is None or callable(spec):
            return spec
        options = dict(spec)
        kind = options.pop("type")
        if kind == "tb_trace":
            folder = Path(runner.log_dir) / (options.pop("dir_name", None) or "tf_tracing_logs")
            runner.logger.info(  # MMEngine's line
                "trace_files of ProfilerHook will be saved to %s.", folder
            )
            return torch.profiler.tensorboard_trace_handler(str(folder), **options)
        options.setdefault("sort_by", "self_cpu_time_total")
        options.setdefault("row_limit", 20)

        def log_trace(prof: Any) -> None:
            runner.logger.info("Profiler summary:\n%s", prof.key_averages().table(**options))

        return log_trace

    def _on_trace_ready(self, runner: RunnerAPI) -> Callable[[Any], None] | None:
        """The handler, then the Chrome trace of the same cycle to ``trace_path``.

        A cycle's results can be saved once, and after ``__exit__`` only the
        last one is left, so the trace is written here. With a schedule, the
        cycle ``__exit__`` cuts short is written only when no cycle was and it
        recorded an iteration: the profiler steps after each iteration and
        stops right after a step, so the step in progress holds none.
        """
        handler = self._handler(runner)
        path = self.trace_path
        if path is None:
            return handler

        def ready(prof: Any) -> None:
            if handler is not None:
                handler(prof)
            if self._stopping and not self._worth_writing_at_exit(prof):
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                prof.export_chrome_trace(str(path))
            except RuntimeError as exc:  # the handler saved this cycle itself
                runner.logger.warning(
                    "ProfilerHook could not write %s: %s (the on_trace_ready handler "
                    "saved this trace already; leave json_trace_path out).",
                    path,
                    exc,
                )
                return
            self._written = True

        return ready

    def _worth_writing_at_exit(self, prof: Any) -> bool:
        import torch

        if self.schedule is None:
            return True  # the one and only cycle
        if self._written:
            return False  # keep the last complete cycle
        last = prof.step_num - 1  # the last step that ran an iteration
        return last >= 0 and prof.schedule(last) == torch.profiler.ProfilerAction.RECORD

    def _activities(self, runner: RunnerAPI) -> list[Any]:
        import torch

        wanted = []
        if self.activity_with_cpu:
            wanted.append(torch.profiler.ProfilerActivity.CPU)
        if self.activity_with_cuda:
            wanted.append(torch.profiler.ProfilerActivity.CUDA)
        supported = torch.profiler.supported_activities()
        missing = [a.name for a in wanted if a not in supported]
        if missing and len(missing) == len(wanted):
            raise ConfigAssertionError(  # torch asserts: "No activities specified"
                f"ProfilerHook cannot record {', '.join(missing)} activity on this machine "
                f"(torch supports {', '.join(sorted(a.name for a in supported))}): set "
                "activity_with_cpu=True, or run where CUDA is available."
            )
        if missing:
            runner.logger.warning(
                "ProfilerHook: this machine cannot record %s activity; profiling %s only.",
                ", ".join(missing),
                ", ".join(a.name for a in wanted if a in supported),
            )
        return wanted

    @property
    def profiler(self) -> Any:
        """The ``torch.profiler.profile`` recording now (MMEngine's attribute); None
        before training starts and once profiling stopped."""
        return self._profiler

    @profiler.setter
    def profiler(self, profiler: Any) -> None:
        self._profiler = profiler

    def before_train(self, runner: RunnerAPI) -> None:
        import torch

        longest = runner.max_epochs if self.by_epoch else runner.max_iters
        if longest is not None and longest < self.profile_times:
            unit = "epochs" if self.by_epoch else "iterations"
            raise ConfigError(  # MMEngine refuses it too (a ValueError)
                f"ProfilerHook(profile_times={self.profile_times}) profiles more {unit} than "
                f"the run has ({longest}): set profile_times to at most {longest}."
            )
        activities = self._activities(runner)
        if self.json_trace_path is not None:
            self.trace_path = Path(self.json_trace_path)
        elif self.on_trace_ready is None:
            self.trace_path = Path(runner.log_dir) / "profiler_trace.json"
        else:
            self.trace_path = None
        schedule = torch.profiler.schedule(**self.schedule) if self.schedule else None
        self._written = self._stopping = False
        self._profiler = torch.profiler.profile(
            activities=activities,
            schedule=schedule,
            on_trace_ready=self._on_trace_ready(runner),
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

    def on_exception(self, runner: RunnerAPI, exception: BaseException) -> None:
        """A run that failed or was interrupted while profiling: stop the profiler (it
        would go on recording every op the process runs, in memory) and write the trace
        of what it recorded, which may be what shows why the run was slow."""
        if self._profiler is not None:
            self._stop(runner)

    def _stop(self, runner: RunnerAPI) -> None:
        profiler, self._profiler = self._profiler, None
        self._stopping = True
        profiler.__exit__(None, None, None)  # hands a cycle in progress to on_trace_ready
        if self.trace_path is None:
            return
        if self._written:
            runner.logger.info("ProfilerHook: trace written to %s", self.trace_path)
        elif self.schedule is not None:
            runner.logger.warning(
                "ProfilerHook recorded nothing: profiling stopped after %d %s, before the "
                "schedule %s reached its active steps; no trace written to %s. Raise "
                "profile_times or lower wait/warmup/skip_first.",
                self._done,
                "epoch(s)" if self.by_epoch else "iteration(s)",
                self.schedule,
                self.trace_path,
            )

    def __repr__(self) -> str:
        return f"ProfilerHook(by_epoch={self.by_epoch}, profile_times={self.profile_times})"
