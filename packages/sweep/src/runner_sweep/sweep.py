"""Run a sweep: Optuna asks for parameters, each trial is an ordinary run.

The study lives in an RDB storage, so any number of ``runner-cli sweep``
processes (on one machine, or on several with a shared database URL) work
on it together, and running the command again continues it. ``--trials N``
is the number of finished (complete or pruned) trials the study should
have; each worker stops when it has been reached, or (``--timeout``) when
its time is up, the trial it runs then finished first.

A worker that dies (killed, machine lost) leaves its trial RUNNING. On this
machine a worker notices at once (the trial records host and process id)
and marks it FAIL; elsewhere Optuna's heartbeat does after a grace period.
The failed trial's parameters are queued again, so the sweep loses nothing.

A trial whose training fails (a NaN loss, an exception in the model) is a
FAIL trial with its reason in the ``failed_because`` user attribute; it
counts towards ``--trials`` and the sweep goes on. A mistake every trial
would repeat (:func:`stops_the_sweep`) stops the sweep at once instead.

The default study (named after the config) keeps its files in WORK_DIR
itself; any other ``--study NAME`` keeps them in WORK_DIR/studies/NAME, so
studies sharing a work dir (and its study.db) never overwrite each other.
"""

from __future__ import annotations

import gc
import json
import logging
import math
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

from runner_core.errors import (
    BuildError,
    BuildValueError,
    ConfigError,
    HookError,
    RegistryError,
    RunnerError,
)
from runner_core.pids import pid_alive

from .space import distributions, grid, original_params, suggest

#: seconds between a worker's heartbeats, and after how long without one a trial is stale
HEARTBEAT_SECONDS = 30
GRACE_SECONDS = 120
#: the file that marks a work dir as a sweep (read by ``runner-cli plot``)
SWEEP_FILE = "sweep.json"
#: where a study other than the default one keeps its trials and summary files
STUDIES_DIR = "studies"


class MissingPackageError(RunnerError, ModuleNotFoundError):
    """A package the sweep needs (Optuna, a database driver) is not installed."""


def import_optuna() -> Any:
    """``optuna``, or a :class:`MissingPackageError` saying how to install it."""
    try:
        import optuna
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] != "optuna":
            raise
        raise MissingPackageError(
            "runner-cli sweep needs Optuna, which is not installed in this environment: "
            "pip install runner-sweep (or pip install optuna)."
        ) from exc
    return optuna


def sqlite_file(url: str) -> Path | None:
    """The database file of an ``sqlite:///PATH`` URL (relative or absolute), else None."""
    if not url.startswith("sqlite:///"):
        return None
    path = url[len("sqlite:///") :].split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path)


@dataclass
class SweepOptions:
    """What ``runner-cli sweep`` was asked to do."""

    config: str
    space: dict[str, dict[str, Any]]
    #: finished trials the study should have; None: as many as ``timeout`` allows
    trials: int | None
    work_dir: Path
    #: seconds after which this process starts no trial (``--timeout``)
    timeout: float | None = None
    storage: str | None = None
    study: str | None = None
    metric: str | None = None
    #: None: the study's own, or ``maximize`` for a new one (``open_study`` decides)
    direction: str | None = None
    #: set by ``open_study``: this call made the study with the default direction
    direction_defaulted: bool = False
    sampler: str = "tpe"
    pruner: str = "median"
    seed: int | None = None
    cfg_options: list[str] = field(default_factory=list)
    #: show Optuna's own report (with traceback) of a failed trial (``--debug``)
    debug: bool = False

    @property
    def storage_url(self) -> str:
        """The storage URL; a relative SQLite path is made absolute (from the cwd, as given)."""
        if self.storage is None:
            return f"sqlite:///{(self.work_dir / 'study.db').resolve()}"
        file = sqlite_file(self.storage)
        if file is not None and not file.is_absolute():
            query = self.storage.partition("?")[2]
            return f"sqlite:///{file.resolve()}" + (f"?{query}" if query else "")
        return self.storage

    @property
    def study_name(self) -> str:
        return self.study or Path(self.config).stem

    @property
    def study_dir(self) -> Path:
        """Where this study's trials, sweep.json and best_config.py go.

        WORK_DIR for the default study (named after the config), as before;
        WORK_DIR/studies/NAME for any other ``--study NAME``.
        """
        if not self.study or self.study == Path(self.config).stem:  # '--study ""' too
            return self.work_dir
        return self.work_dir / STUDIES_DIR / self.study


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


def _stored_direction(storage: Any, name: str) -> str | None:
    """The direction of the study ``name`` in ``storage``, or None if there is none yet."""
    try:
        study_id = storage.get_study_id_from_name(name)
    except KeyError:
        return None
    (direction,) = storage.get_study_directions(study_id)
    return str(direction.name.lower())


#: metric names where lower is better: a sweep maximising one by default is said to
_LOWER_IS_BETTER = re.compile(
    r"(?<![a-z])(loss|err|error|mse|mae|rmse|perplexity|wer|cer|fid|nll)(?![a-z])", re.I
)


def direction_warning(opts: SweepOptions) -> str | None:
    """A line for a sweep that maximises, by default, a metric whose name says lower is
    better (``val/loss``): Optuna users expect minimize by default, and the sweep would
    pick the worst trial as the best and prune the good ones."""
    if not opts.direction_defaulted or opts.direction != "maximize" or not opts.metric:
        return None
    if not _LOWER_IS_BETTER.search(opts.metric):
        return None
    return (
        f"runner-cli sweep: warning: the metric {opts.metric!r} looks like one where lower is "
        "better, but the sweep maximises it (the default): pass --direction minimize (with "
        "--study NEW_NAME, or after deleting this study, as a study keeps its direction)."
    )


def open_study(opts: SweepOptions) -> tuple[Any, Any]:
    """Create or load the study (several workers may race to create it: both succeed);
    return it and its storage."""
    optuna = import_optuna()

    check_study_name(opts)
    # before any file: a grid over a float without a step left an empty study.db behind
    sampler = make_sampler(opts.sampler, opts.space, opts.seed)
    opts.work_dir.mkdir(parents=True, exist_ok=True)
    file = sqlite_file(opts.storage_url)
    if file is not None and not file.parent.is_dir():
        raise ConfigError(
            f"--storage {opts.storage}: the folder {str(file.parent)!r} of the database file "
            "does not exist. Create it first (mkdir -p), or give --storage a path in an "
            "existing folder."
        )
    for attempt in range(1, 6):
        try:
            storage = _rdb_storage(optuna, opts)
            existed = _stored_direction(storage, opts.study_name) is not None
            study = optuna.create_study(
                storage=storage,
                study_name=opts.study_name,
                direction=opts.direction or "maximize",  # a study there keeps its own
                sampler=sampler,
                pruner=make_pruner(opts.pruner),
                load_if_exists=True,
            )
            break
        except Exception as exc:
            # two workers creating one new database race on its schema: the loser retries
            if attempt == 5 or type(exc).__name__ not in ("IntegrityError", "OperationalError"):
                raise
            time.sleep(0.5 * attempt)
    stored_direction = study.direction.name.lower()
    if opts.direction is not None and stored_direction != opts.direction:
        raise ConfigError(
            f"The study {opts.study_name!r} in {opts.storage_url} was created with direction "
            f"{stored_direction!r}, not {opts.direction!r}: pass --direction "
            f"{stored_direction} or leave --direction out, or --study NEW_NAME for a new study."
        )
    opts.direction_defaulted = opts.direction is None and not existed
    opts.direction = stored_direction
    stored = study.user_attrs.get("metric")
    if opts.metric is not None and stored is not None and stored != opts.metric:
        raise ConfigError(_metric_mismatch(opts, stored))
    check_space_matches_study(opts, study)
    return study, storage


#: the package to install for a database driver SQLAlchemy could not import
_DRIVER_PACKAGES = {
    "psycopg": "'psycopg[binary]'",
    "psycopg2": "psycopg2-binary",
    "MySQLdb": "mysqlclient",
    "pymysql": "PyMySQL",
}


def _rdb_storage(optuna: Any, opts: SweepOptions) -> Any:
    """Optuna's RDB storage for ``opts.storage_url``; a missing database driver is named."""
    try:
        with warnings.catch_warnings():  # heartbeats are "experimental" since Optuna 2.9
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(
                opts.storage_url,
                heartbeat_interval=HEARTBEAT_SECONDS,
                grace_period=GRACE_SECONDS,
                engine_kwargs={"connect_args": {"timeout": 60}}
                if opts.storage_url.startswith("sqlite")
                else {},
            )
    except ImportError as exc:
        missing = exc if exc.name else exc.__cause__  # Optuna re-raises SQLAlchemy's
        name = (getattr(missing, "name", None) or "").split(".")[0]
        if not name or name == "optuna":
            raise
        package = _DRIVER_PACKAGES.get(name, name)
        raise MissingPackageError(
            f"--storage {opts.storage_url.split('://')[0]}://...: its database driver "
            f"{name!r} is not installed: pip install {package} (or give --storage another "
            "URL; the default is a SQLite file in WORK_DIR)."
        ) from exc


def check_study_name(opts: SweepOptions) -> None:
    """A ``--study`` name other than the default is a folder name under WORK_DIR/studies:
    no separators, no leading dot, not longer than the file system allows.

    The default study (named after the config) keeps its files in WORK_DIR itself,
    so its name, whatever the config file is called, names no folder.
    """
    if opts.study_dir == opts.work_dir:
        return
    name = opts.study_name
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ConfigError(
            f"--study {name!r}: a study name cannot be empty, contain '/' or '\\', or start "
            "with '.' (its files go to WORK_DIR/studies/NAME). Give a plain name such as "
            "--study lr-search."
        )
    from .folders import name_bytes, name_max

    limit = name_max(opts.study_dir.parent)
    if name_bytes(name) > limit:
        raise ConfigError(
            f"--study {name[:40]}... ({name_bytes(name)} bytes) is too long: a study's files go "
            f"to WORK_DIR/studies/NAME, and a folder name may have at most {limit} bytes here. "
            "Give a shorter name such as --study lr-search."
        )


def check_space_matches_study(opts: SweepOptions, study: Any) -> None:
    """Refuse a space whose entry Optuna cannot continue the study with, before any trial.

    Optuna itself would refuse it only inside the next trial (leaving a FAIL
    trial): changing a parameter's kind, or a categorical's choices.
    """
    from optuna.distributions import check_distribution_compatibility

    wanted = distributions(opts.space)
    seen: set[str] = set()
    for trial in study.get_trials(deepcopy=False):
        for name, old in trial.distributions.items():
            if name in seen or name not in wanted:
                continue
            seen.add(name)
            try:
                check_distribution_compatibility(old, wanted[name])
            except ValueError as exc:
                raise ConfigError(
                    f"space[{name!r}] changed since the study {opts.study_name!r} in "
                    f"{opts.storage_url} tried it: it was {old}, now {wanted[name]}, and "
                    f"Optuna cannot continue a study with it ({str(exc).rstrip('.')}). Put the entry back as "
                    f"it was, or give --study NEW_NAME (or another --work-dir) for a new study."
                ) from exc


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


def give_back_point(study: Any, rdb: Any, trial_id: int) -> None:
    """A running trial cut short, with the grid sampler: its grid point becomes unvisited
    again (a finished trial's ``grid_id`` counts as visited, whatever its state). Other
    samplers get the params queued again instead (:func:`queue_again`)."""
    import optuna

    if isinstance(study.sampler, optuna.samplers.GridSampler):
        rdb.set_trial_system_attr(trial_id, "grid_id", None)


def queue_again(study: Any, params: Mapping[str, Any]) -> None:
    """Queue a cut-short trial's params, except for the grid sampler, which takes its point
    up again by itself (:func:`give_back_point`): Optuna's ``GridSampler.after_trial``
    fails on a queued trial (it has no ``grid_id``)."""
    import optuna

    if not isinstance(study.sampler, optuna.samplers.GridSampler):
        study.enqueue_trial(dict(params), skip_if_exists=False)


def _fits(space: Mapping[str, Mapping[str, Any]], params: Mapping[str, Any]) -> bool:
    """Whether queued ``params`` are a point of ``space`` (same keys, values in range)."""
    if set(params) != set(space):
        return False
    for key, value in params.items():
        spec = space[key]
        if spec["type"] == "categorical":
            if value not in list(spec["choices"]):
                return False
        elif not isinstance(value, (int, float)) or not spec["low"] <= value <= spec["high"]:
            return False
    return True


def drop_queued_outside(study: Any, rdb: Any, space: Mapping[str, Mapping[str, Any]]) -> list[int]:
    """Fail the queued trials (a cut-short trial's values) that the space, changed since,
    no longer holds: Optuna would train them anyway, with only a warning, and one could
    become the best with a value outside the space."""
    from optuna.trial import TrialState

    dropped = []
    study_id = rdb.get_study_id_from_name(study.study_name)
    for trial in study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
        fixed = trial.system_attrs.get("fixed_params") or {}
        if _fits(space, fixed):
            continue
        trial_id = rdb.get_trial_id_from_study_id_trial_number(study_id, trial.number)
        rdb.set_trial_user_attr(trial_id, "failed_because", "queued values outside the space")
        if rdb.set_trial_state_values(trial_id, TrialState.FAIL):
            dropped.append(trial.number)
    return dropped


def recover_dead_trials(study: Any, rdb: Any) -> list[int]:
    """Mark FAIL the RUNNING trials whose worker on this host is gone; queue their params again."""
    import optuna
    from optuna.trial import TrialState

    host = socket.gethostname()
    recovered = []
    study_id = rdb.get_study_id_from_name(study.study_name)
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        attrs = trial.user_attrs
        if attrs.get("host") != host or "pid" not in attrs or pid_alive(int(attrs["pid"])):
            continue  # another machine's (heartbeat covers it), just starting, or alive
        trial_id = rdb.get_trial_id_from_study_id_trial_number(study_id, trial.number)
        try:
            rdb.set_trial_user_attr(trial_id, "failed_because", "its worker process died")
            give_back_point(study, rdb, trial_id)  # while it is RUNNING: a grid's attr
            if rdb.set_trial_state_values(trial_id, TrialState.FAIL):
                queue_again(study, trial.params)
                recovered.append(trial.number)
        except optuna.exceptions.UpdateFinishedTrialError:
            continue  # another waiting worker recovered it first
    with warnings.catch_warnings():  # "experimental" since Optuna 2.9, and still there
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)  # other machines' dead workers (heartbeat)
    return recovered


def counted(trial: Any) -> bool:
    """Whether ``trial`` counts towards ``--trials``: complete, pruned, or failed in training.

    A trial cut short (Ctrl-C, a signal, its worker died) or refused before
    training does not count: its values are tried again.
    """
    from optuna.trial import TrialState

    if trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
        return True
    return trial.state == TrialState.FAIL and bool(trial.user_attrs.get("counted"))


def finished_count(study: Any) -> tuple[int, int]:
    """(counted trials: complete, pruned or failed in training; running trials)."""
    from optuna.trial import TrialState

    done = [t for t in study.get_trials(deepcopy=False) if counted(t)]
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    return len(done), len(running)


def grid_exhausted(opts: SweepOptions, study: Any) -> int | None:
    """With ``--sampler grid``, the grid's size once every point has a counted trial, else None.

    Optuna's grid sampler would start over on points already tried.
    """
    if opts.sampler != "grid":
        return None
    points = grid(opts.space)
    size = 1
    for values in points.values():
        size *= len(values)
    tried = {
        tuple(repr(t.params.get(key)) for key in points)
        for t in study.get_trials(deepcopy=False)
        if counted(t)
    }
    return size if len(tried) >= size else None


def trial_dir(study_dir: Path, number: int) -> Path:
    return study_dir / "trials" / f"{number:03d}"


def stops_the_sweep(exc: BaseException) -> bool:
    """Whether a trial's error is a mistake every trial would repeat, so the sweep stops.

    Those are the input errors: a config, registry or hook error (a misspelt
    key or type, a --metric the evaluator never reports), a build error about
    the arguments themselves (not a :class:`BuildValueError`, which a sampled
    value can cause), and an import or syntax error. Anything else (a NaN
    loss, an exception while training) fails only this trial.
    """
    if isinstance(exc, BuildValueError):
        return False
    return isinstance(
        exc, (ConfigError, RegistryError, HookError, BuildError, ImportError, SyntaxError)
    )


def one_line(exc: BaseException) -> str:
    """``exc`` as one line: its message, after its type unless it is one of runner's errors."""
    message = " ".join(str(exc).split()) or "(no message)"
    return message if isinstance(exc, RunnerError) else f"{type(exc).__name__}: {message}"


def run_trial(opts: SweepOptions, trial: Any, note: Callable[[str], None]) -> float:
    """One ordinary run in ``STUDY_DIR/trials/NNN`` with the trial's parameters applied."""
    import optuna

    from runner_core import Runner

    from .pruning import TrialReportHook

    trial.set_user_attr("host", socket.gethostname())
    trial.set_user_attr("pid", os.getpid())
    params = suggest(trial, opts.space)
    folder = trial_dir(opts.study_dir, trial.number)
    if folder.is_dir() and any(folder.iterdir()):
        raise ConfigError(
            f"The trial folder {str(folder)!r} already holds another run, so trial "
            f"{trial.number} of the study {opts.study_name!r} would overwrite it (was the "
            "study's database deleted or replaced?). Move that folder's trials away, or give "
            "another --work-dir or --study."
        )
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
    if cfg.get("compile"):  # each trial compiles anew; TorchDynamo's caches hold 8 at most
        import torch

        torch.compiler.reset()
    runner = Runner.from_cfg(cfg)
    reporter = TrialReportHook(trial, opts.metric)
    runner.register_hook(reporter)
    from runner_core.runner.preemption import TrainingPreempted

    try:
        runner.train()
    except TrainingPreempted as stop:  # an Exception now, so Optuna marks the trial FAIL
        raise TrialPreempted(str(stop), stop.exit_status) from stop
    finally:  # persistent workers would outlive the trial (see Runner.release_data_workers)
        runner.release_data_workers()
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
    score = reporter.values[-1]
    if math.isnan(score):  # Optuna would mark it FAIL without 'counted': the sweep never ends
        raise ValueError(
            f"the validation metric {opts.metric!r} is NaN at the trial's last validation"
        )
    return score


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


class TrialFailed(Exception):
    """A trial's training failed; Optuna marks it FAIL and the sweep goes on."""


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


#: what ``--timeout`` is measured with (module-level, so a test can stand in for the time)
clock: Callable[[], float] = time.monotonic


def sweep(opts: SweepOptions, note: Callable[[str], None], poll: float = 1.0) -> Any:
    """Run trials until the study has ``opts.trials`` finished ones, or until
    ``opts.timeout`` seconds have passed (a trial running then finishes); return the study."""
    started = clock()
    optuna = import_optuna()
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study, storage = open_study(opts)
    write_sweep_file(opts)
    if opts.metric is None:
        opts.metric = study.user_attrs.get("metric")
    warned: list[str] = []

    def warn_direction() -> None:  # once the metric is known (the first trial's, by default)
        line = None if warned else direction_warning(opts)
        if line is not None:
            note(line)
            warned.append(line)

    warn_direction()
    dropped = drop_queued_outside(study, storage, opts.space)
    if dropped:
        note(
            "runner-cli sweep: queued trial(s) "
            + ", ".join(map(str, dropped))
            + " hold values the changed space no longer has: marked FAIL, not run."
        )

    def give_back(trial: Any) -> None:  # a grid point a trial took without a result
        study_id = storage.get_study_id_from_name(study.study_name)
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
        give_back_point(study, storage, trial_id)

    def objective(trial: Any) -> float:
        ahead = [
            t
            for t in study.get_trials(deepcopy=False)
            if t.number < trial.number and (t.state == TrialState.RUNNING or counted(t))
        ]
        if opts.trials is not None and len(ahead) >= opts.trials:
            trial.set_user_attr("failed_because", "surplus: the study already had its trials")
            give_back(trial)
            raise Surplus
        try:
            return run_trial(opts, trial, note)
        except optuna.TrialPruned:
            raise
        except (KeyboardInterrupt, TrialPreempted):
            # cut short, not a result: try its values again (as for a worker that died),
            # so a grid point is not lost and the grid sampler does not hand out duplicates
            trial.set_user_attr("failed_because", "cut short (Ctrl-C or a signal)")
            give_back(trial)
            queue_again(study, trial.params)
            raise
        except Exception as exc:
            reason = one_line(exc)
            trial.set_user_attr("failed_because", reason)
            if stops_the_sweep(exc):  # not a result: left out of the table, not counted
                trial.set_user_attr("setup_error", True)
                give_back(trial)  # the fixed sweep tries its grid point still
                raise
            trial.set_user_attr("counted", True)
            note(f"runner-cli sweep: trial {trial.number} failed: {reason}")
            raise TrialFailed(reason) from exc

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
        if opts.trials is not None and done >= opts.trials:
            break
        size = grid_exhausted(opts, study)
        if size is not None:
            note(
                f"runner-cli sweep: every point of the grid ({size}) has been tried, so the "
                f"study stops at {done} trials rather than repeat points"
                + (f" for --trials {opts.trials}." if opts.trials is not None else ".")
            )
            break
        if opts.timeout is not None and clock() - started >= opts.timeout:
            note(
                f"runner-cli sweep: --timeout {opts.timeout:g} s reached; no further trial is "
                f"started (the study has {done} finished"
                + (f" of --trials {opts.trials}" if opts.trials is not None else "")
                + "). Run the same command again to continue it."
            )
            break
        if opts.trials is not None and done + running >= opts.trials:
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
                study.optimize(objective, n_trials=1, catch=(TrialFailed,))
        except Surplus:
            continue
        warn_direction()
        # the trial's Runner sits in reference cycles: free its model and optimizer state
        # (on a GPU too) now, not at some later trial's full collection
        gc.collect()
    return study


def write_sweep_file(opts: SweepOptions) -> None:
    """``STUDY_DIR/sweep.json``: where the study is (``runner-cli plot STUDY_DIR`` reads it).

    A SQLite file inside WORK_DIR is also recorded relative to STUDY_DIR
    (``storage_file``), so a moved or copied sweep folder is drawn from its own
    database.
    """
    record: dict[str, Any] = {
        "config": str(Path(opts.config).resolve()),
        "storage": opts.storage_url,
        "study": opts.study_name,
        "direction": opts.direction,
    }
    file = sqlite_file(opts.storage_url)
    work_dir = opts.work_dir.resolve()
    if file is not None and file.resolve().is_relative_to(work_dir):
        record["storage_file"] = os.path.relpath(file.resolve(), opts.study_dir.resolve())
    from runner_core.checkpoint import write_bytes_atomic

    path = opts.study_dir / SWEEP_FILE
    write_bytes_atomic((json.dumps(record, indent=2) + "\n").encode("utf-8"), path, fsync=False)


def write_best_config(opts: SweepOptions, study: Any) -> Path | None:
    """``STUDY_DIR/best_config.py``: the config with the best trial's parameters applied."""
    from optuna.trial import TrialState

    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return None
    best = study.best_trial
    cfg = load_config(opts.config, opts.cfg_options)
    cfg.merge_from_dict(original_params(opts.space, best.params))
    cfg.merge_from_dict({"work_dir": str(opts.study_dir / "best")})
    path = opts.study_dir / "best_config.py"
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
        if t.user_attrs.get("setup_error") or t.user_attrs.get("failed_because", "").startswith(
            "surplus"
        ):
            continue  # not results: a trial refused before training, or a surplus one
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
