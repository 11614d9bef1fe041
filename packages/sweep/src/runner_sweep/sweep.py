"""Run a sweep: Optuna asks for parameters, each trial is an ordinary run.

The study lives in an RDB storage, so any number of ``runner-cli sweep``
processes (on one machine, or on several with a shared database URL) work
on it together, and running the command again continues it. ``--trials N``
is the number of finished (complete or pruned) trials the study should
have; each worker stops when it has been reached.

A worker that dies (killed, machine lost) leaves its trial RUNNING. On this
machine a worker notices at once (the trial records host and process id)
and marks it FAIL; elsewhere Optuna's heartbeat does after a grace period.
The failed trial's parameters are queued again, so the sweep loses nothing.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner_core.errors import ConfigError

from .space import grid, suggest

#: seconds between a worker's heartbeats, and after how long without one a trial is stale
HEARTBEAT_SECONDS = 30
GRACE_SECONDS = 120
#: the file that marks a work dir as a sweep (read by ``runner-cli plot``)
SWEEP_FILE = "sweep.json"


@dataclass
class SweepOptions:
    """What ``runner-cli sweep`` was asked to do."""

    config: str
    space: dict[str, dict[str, Any]]
    trials: int
    work_dir: Path
    storage: str | None = None
    study: str | None = None
    metric: str | None = None
    direction: str = "maximize"
    sampler: str = "tpe"
    pruner: str = "median"
    seed: int | None = None
    cfg_options: list[str] = field(default_factory=list)
    #: show Optuna's own report (with traceback) of a failed trial (``--debug``)
    debug: bool = False

    @property
    def storage_url(self) -> str:
        return self.storage or f"sqlite:///{(self.work_dir / 'study.db').resolve()}"

    @property
    def study_name(self) -> str:
        return self.study or Path(self.config).stem


def load_config(path: str, cfg_options: list[str]) -> Any:
    """The config with ``--cfg-options`` applied (what runner-cli's commands do)."""
    from runner_core.config import Config, parse_cfg_options

    cfg = Config.fromfile(path)
    options = parse_cfg_options(cfg_options)
    if options:
        cfg.merge_from_dict(options)
    return cfg


def make_sampler(name: str, space: Mapping[str, Mapping[str, Any]], seed: int | None) -> Any:
    """The sampler ``--sampler name`` names; with a seed, TPE and random are seeded per trial.

    A TPE or random sampler seeded once would draw the same values in every
    process: a continued study, or a second worker, would repeat its trials.
    Seeded per trial (:mod:`runner_sweep.seeding`), each trial draws with a seed
    of its own, derived from ``seed`` and its number. The grid sampler keeps
    ``seed`` itself: it only shuffles the grid, an order all workers must share
    (trial ``n`` takes the grid's ``n``-th point, whichever worker runs it).
    """
    import optuna

    if name == "grid":
        return optuna.samplers.GridSampler(grid(space), seed=seed)
    if name == "tpe":
        kind = optuna.samplers.TPESampler
    elif name == "random":
        kind = optuna.samplers.RandomSampler
    else:
        raise ConfigError(f"--sampler {name!r}: choose tpe, random or grid.")
    if seed is None:
        return kind()
    from .seeding import PerTrialSeedSampler

    return PerTrialSeedSampler(lambda trial_seed: kind(seed=trial_seed), seed)


def make_pruner(name: str) -> Any:
    import optuna

    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0)
    if name == "none":
        return optuna.pruners.NopPruner()
    raise ConfigError(f"--pruner {name!r}: choose median or none.")


def open_study(opts: SweepOptions) -> tuple[Any, Any]:
    """Create or load the study (several workers may race to create it: both succeed);
    return it and its storage."""
    import optuna

    opts.work_dir.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 6):
        try:
            with warnings.catch_warnings():  # heartbeats are "experimental" since Optuna 2.9
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                storage = optuna.storages.RDBStorage(
                    opts.storage_url,
                    heartbeat_interval=HEARTBEAT_SECONDS,
                    grace_period=GRACE_SECONDS,
                    engine_kwargs={"connect_args": {"timeout": 60}}
                    if opts.storage_url.startswith("sqlite")
                    else {},
                )
            study = optuna.create_study(
                storage=storage,
                study_name=opts.study_name,
                direction=opts.direction,
                sampler=make_sampler(opts.sampler, opts.space, opts.seed),
                pruner=make_pruner(opts.pruner),
                load_if_exists=True,
            )
            break
        except Exception as exc:
            # two workers creating one new database race on its schema: the loser retries
            if attempt == 5 or type(exc).__name__ not in ("IntegrityError", "OperationalError"):
                raise
            time.sleep(0.5 * attempt)
    if study.direction.name.lower() != opts.direction:
        raise ConfigError(
            f"The study {opts.study_name!r} in {opts.storage_url} was created with direction "
            f"{study.direction.name.lower()!r}, not {opts.direction!r}: pass --direction "
            f"{study.direction.name.lower()}, or --study NEW_NAME for a new study."
        )
    stored = study.user_attrs.get("metric")
    if opts.metric is not None and stored is not None and stored != opts.metric:
        raise ConfigError(_metric_mismatch(opts, stored))
    return study, storage


def _metric_mismatch(opts: SweepOptions, stored: str) -> str:
    return (
        f"The study {opts.study_name!r} in {opts.storage_url} scores its trials by the "
        f"validation metric {stored!r}, not {opts.metric!r} (--metric {opts.metric}): scores of "
        f"two metrics cannot be compared in one study. Pass --metric {stored} (or leave "
        "--metric out) to continue it, or give --study NEW_NAME or another --work-dir / "
        "--storage for a new study."
    )


def record_metric(opts: SweepOptions, study: Any) -> None:
    """Store the metric in the study the first time a trial reports it; refuse another one.

    Stored only once a validation has reported it, so a misspelt ``--metric``
    is not kept. A worker started with another ``--metric`` before any trial
    had reported finds it here.
    """
    stored = study.user_attrs.get("metric")
    if stored is None and opts.metric is not None:
        study.set_user_attr("metric", opts.metric)
        stored = study.user_attrs.get("metric")  # another worker may have stored its own
    if stored is not None and stored != opts.metric:
        raise ConfigError(_metric_mismatch(opts, stored))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_dead_trials(study: Any, rdb: Any) -> list[int]:
    """Mark FAIL the RUNNING trials whose worker on this host is gone; queue their params again."""
    import optuna
    from optuna.trial import TrialState

    host = socket.gethostname()
    recovered = []
    study_id = rdb.get_study_id_from_name(study.study_name)
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        attrs = trial.user_attrs
        if attrs.get("host") != host or "pid" not in attrs or _alive(int(attrs["pid"])):
            continue  # another machine's (heartbeat covers it), just starting, or alive
        trial_id = rdb.get_trial_id_from_study_id_trial_number(study_id, trial.number)
        rdb.set_trial_user_attr(trial_id, "failed_because", "its worker process died")
        if rdb.set_trial_state_values(trial_id, TrialState.FAIL):
            study.enqueue_trial(trial.params, skip_if_exists=False)
            recovered.append(trial.number)
    with warnings.catch_warnings():  # "experimental" since Optuna 2.9, and still there
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)  # other machines' dead workers (heartbeat)
    return recovered


def finished_count(study: Any) -> tuple[int, int]:
    """(complete + pruned trials, running trials)."""
    from optuna.trial import TrialState

    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    return len(done), len(running)


def trial_dir(work_dir: Path, number: int) -> Path:
    return work_dir / "trials" / f"{number:03d}"


def run_trial(opts: SweepOptions, trial: Any, note: Callable[[str], None]) -> float:
    """One ordinary run in ``WORK_DIR/trials/NNN`` with the trial's parameters applied."""
    import optuna

    from runner_core import Runner

    from .pruning import TrialReportHook

    trial.set_user_attr("host", socket.gethostname())
    trial.set_user_attr("pid", os.getpid())
    params = suggest(trial, opts.space)
    folder = trial_dir(opts.work_dir, trial.number)
    trial.set_user_attr("work_dir", str(folder.resolve()))
    note(f"runner-cli sweep: trial {trial.number} in {folder}: {_short(params)}")
    cfg = load_config(opts.config, opts.cfg_options)
    cfg.merge_from_dict(dict(params))  # like --cfg-options
    cfg.merge_from_dict({"work_dir": str(folder)})
    if not cfg.get("val_dataloader") or not cfg.get("val_evaluator"):
        raise ConfigError(
            f"{opts.config} has no val_dataloader / val_evaluator: a sweep scores each trial by "
            "its validation metric. Add both (and train_cfg.val_interval)."
        )
    runner = Runner.from_cfg(cfg)
    reporter = TrialReportHook(trial, opts.metric)
    runner.register_hook(reporter)
    from runner_core.runner.preemption import TrainingPreempted

    try:
        runner.train()
    except TrainingPreempted as stop:  # an Exception now, so Optuna marks the trial FAIL
        raise TrialPreempted(str(stop), stop.exit_status) from stop
    if not reporter.values:
        raise ConfigError(
            f"Trial {trial.number} trained without a validation, so it has no score: set "
            "train_cfg.val_interval so validation runs at least once."
        )
    if opts.metric is None:
        opts.metric = reporter.metric
    record_metric(opts, trial.study)
    if reporter.pruned:
        note(f"runner-cli sweep: trial {trial.number} pruned.")
        raise optuna.TrialPruned(f"pruned after validation {len(reporter.values)}")
    return reporter.values[-1]


def _short(params: Mapping[str, Any]) -> str:
    return ", ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
    )


class TrialPreempted(Exception):
    """A trial's run stopped on SIGTERM/SIGUSR1 (its checkpoint saved); the sweep stops too."""

    def __init__(self, message: str, exit_status: int) -> None:
        super().__init__(message)
        self.exit_status = exit_status


class Surplus(Exception):
    """Another worker took the study's last trial slot while this one asked for a trial."""


#: Optuna's report of a trial that raised: a warning with the traceback, then "with value None"
_TRIAL_FAILED = re.compile(r"Trial \d+ failed with ")
_NO_VALUE = re.compile(r"Trial \d+ failed with value None\.$")


class _NoTrialFailureReports(logging.Filter):
    """Drops Optuna's report of a trial that raised (a NaN score's report stays)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        raised = record.exc_info is not None and _TRIAL_FAILED.match(message)
        return not (raised or _NO_VALUE.match(message))


@contextmanager
def optuna_failure_reports(show: bool) -> Iterator[None]:
    """Hide Optuna's warning (with traceback) for a failed trial unless ``show`` (``--debug``).

    The error itself reaches runner-cli, which prints it as one paragraph; the
    traceback is for ``--debug``. Optuna's other warnings still show.
    """
    if show:
        yield
        return
    handlers = list(logging.getLogger("optuna").handlers)
    hide = _NoTrialFailureReports()
    for handler in handlers:
        handler.addFilter(hide)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(hide)


def sweep(opts: SweepOptions, note: Callable[[str], None], poll: float = 1.0) -> Any:
    """Run trials until the study has ``opts.trials`` finished ones; return the study."""
    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study, storage = open_study(opts)
    write_sweep_file(opts)
    if opts.metric is None:
        opts.metric = study.user_attrs.get("metric")

    def objective(trial: Any) -> float:
        ahead = [
            t
            for t in study.get_trials(deepcopy=False)
            if t.number < trial.number and t.state != TrialState.FAIL
        ]
        if len(ahead) >= opts.trials:
            trial.set_user_attr("failed_because", "surplus: the study already had its trials")
            raise Surplus
        return run_trial(opts, trial, note)

    waiting = False
    while True:
        recovered = recover_dead_trials(study, storage)
        if recovered:
            note(
                "runner-cli sweep: trial(s) "
                + ", ".join(map(str, recovered))
                + " lost their worker; marked FAIL and queued again."
            )
        done, running = finished_count(study)
        if done >= opts.trials:
            break
        if done + running >= opts.trials:
            # the last trials run in other workers: wait, and take over if one dies
            if not waiting:
                note(f"runner-cli sweep: waiting for {running} trial(s) of other workers.")
                waiting = True
            time.sleep(poll)
            continue
        try:
            # optimize() (rather than ask/tell) keeps Optuna's heartbeat for the trial,
            # marks pruned trials PRUNED and failed ones FAIL before re-raising
            with optuna_failure_reports(show=opts.debug):
                study.optimize(objective, n_trials=1, catch=())
        except Surplus:
            continue
    return study


def write_sweep_file(opts: SweepOptions) -> None:
    """``WORK_DIR/sweep.json``: where the study is (``runner-cli plot WORK_DIR`` reads it)."""
    record = {
        "config": str(Path(opts.config).resolve()),
        "storage": opts.storage_url,
        "study": opts.study_name,
        "direction": opts.direction,
    }
    path = opts.work_dir / SWEEP_FILE
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(tmp, path)


def write_best_config(opts: SweepOptions, study: Any) -> Path | None:
    """``WORK_DIR/best_config.py``: the config with the best trial's parameters applied."""
    from optuna.trial import TrialState

    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return None
    best = study.best_trial
    cfg = load_config(opts.config, opts.cfg_options)
    cfg.merge_from_dict(dict(best.params))
    cfg.merge_from_dict({"work_dir": str(opts.work_dir / "best")})
    path = opts.work_dir / "best_config.py"
    cfg.dump(path)
    return path


def trial_rows(study: Any) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of the trials table."""
    keys: list[str] = []
    for trial in study.get_trials(deepcopy=False):
        keys.extend(k for k in trial.params if k not in keys)
    metric = study.user_attrs.get("metric", "value")
    headers = ["trial", "state", metric, *keys, "seconds"]
    rows = []
    for t in study.get_trials(deepcopy=False):
        if t.user_attrs.get("failed_because", "").startswith("surplus"):
            continue
        seconds = (
            f"{(t.datetime_complete - t.datetime_start).total_seconds():.1f}"
            if t.datetime_complete and t.datetime_start
            else ""
        )
        value = "" if t.value is None else f"{t.value:.4f}"
        params = [_fmt(t.params.get(k, "")) for k in keys]
        rows.append([t.number, t.state.name, value, *params, seconds])
    return headers, rows


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def best_rows(study: Any) -> dict[str, Any] | None:
    from optuna.trial import TrialState

    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return None
    best = study.best_trial
    return {
        "trial": best.number,
        study.user_attrs.get("metric", "value"): best.value,
        **best.params,
        "work_dir": best.user_attrs.get("work_dir", ""),
    }
