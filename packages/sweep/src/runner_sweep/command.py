"""``runner-cli sweep``: added to runner-cli through the ``runner.plugins`` entry point.

Light to import (runner-cli imports it on every invocation): Optuna and
torch are imported by the handler only.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

#: runner-cli's exit status for Ctrl-C (``runner_cli.errors.EXIT_INTERRUPTED``)
EXIT_INTERRUPTED = 130


def register(subparsers: Any) -> None:
    """Add the ``sweep`` subcommand."""
    parser = subparsers.add_parser(
        "sweep",
        help="search hyperparameters with Optuna: each trial is a training run",
        description="Run a hyperparameter sweep on Optuna. Each trial trains CONFIG with the "
        "trial's values applied like --cfg-options, in WORK_DIR/trials/NNN (another --study "
        "NAME: WORK_DIR/studies/NAME/trials/NNN). Several processes may work on one study "
        "(same --storage and --study); running the command again continues the study until it "
        "has --trials finished trials. A trial whose training fails is recorded as FAIL and "
        "the sweep goes on; an input error (config, space, --metric) stops it.",
    )
    parser.add_argument("config", help="the config file")
    parser.add_argument(
        "--space",
        required=True,
        metavar="SPACE.py",
        help="a Python file defining space = {'optim_wrapper.optimizer.lr': dict(type='float', "
        "low=1e-4, high=1e-1, log=True), ...}",
    )
    parser.add_argument(
        "--trials",
        type=int,
        metavar="N",
        help="finished trials (complete, pruned, or failed in training) the study should have",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="start no trial after SECONDS in this process (the running one finishes), as "
        "Optuna's optimize(timeout=...); with --trials, whichever comes first; alone, trials "
        "run until the time is up",
    )
    parser.add_argument(
        "--work-dir",
        metavar="DIR",
        help="the sweep's folder (default: work_dirs/<config name>-sweep, or under "
        "[tool.runner] work_dir_root; a name too long for the file system is cut short, "
        "with a hash of the whole name)",
    )
    parser.add_argument(
        "--storage", metavar="URL", help="Optuna RDB storage (default: sqlite:///WORK_DIR/study.db)"
    )
    parser.add_argument(
        "--study",
        metavar="NAME",
        help="study name (default: the config's name); another study keeps its trials, "
        "sweep.json and best_config.py in WORK_DIR/studies/NAME",
    )
    parser.add_argument(
        "--metric", metavar="KEY", help="validation metric to optimise (default: the first one)"
    )
    parser.add_argument(
        "--direction",
        choices=["maximize", "minimize"],
        default=None,
        help="whether a higher or a lower metric is better (default: the study's own, "
        "maximize for a new study; a metric named like a loss gets a warning)",
    )
    parser.add_argument(
        "--sampler",
        choices=["tpe", "random", "grid"],
        default="tpe",
        help="how values are picked (default: %(default)s); grid needs a step on every float "
        "and stops once every point was tried",
    )
    parser.add_argument(
        "--pruner",
        choices=["median", "none"],
        default="median",
        help="stop unpromising trials early (default: %(default)s: Optuna's MedianPruner, "
        "n_startup_trials=2, n_warmup_steps=0: from the third trial on, a trial whose "
        "validation is worse than the median of earlier trials at the same validation stops)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        metavar="S",
        help="make the sampling reproducible: trial n is sampled with a seed derived from S and "
        "n, so a continued study or another worker draws anew instead of replaying the draws",
    )
    parser.add_argument(
        "--cfg-options",
        nargs="+",
        action="extend",  # repeated --cfg-options add up, as MMEngine's DictAction
        default=[],
        metavar="KEY=VALUE",
        help="override config settings for every trial, e.g. train_cfg.max_epochs=5",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the full traceback when something fails",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from runner_core.errors import ConfigError

    from .output import note, print_mapping, print_table
    from .space import check_paths, load_space
    from .sweep import (
        SweepOptions,
        TrialPreempted,
        best_rows,
        import_optuna,
        load_config,
        sweep,
        trial_rows,
        write_best_config,
    )

    import_optuna()  # not installed: say how to install it, before anything else

    if not Path(args.config).is_file():
        raise ConfigError(
            f"The config file {args.config!r} does not exist (relative paths start from "
            f"{str(Path.cwd())!r})."
        )
    if args.trials is None and args.timeout is None:
        raise ConfigError(
            "runner-cli sweep needs --trials N (finished trials the study should have), "
            "--timeout SECONDS (start no trial after that time), or both."
        )
    if args.trials is not None and args.trials < 1:
        raise ConfigError(f"--trials {args.trials}: give a number of trials of at least 1.")
    if args.timeout is not None and not args.timeout > 0:  # NaN too
        raise ConfigError(f"--timeout {args.timeout}: give a number of seconds above 0.")
    if args.seed is not None and not 0 <= args.seed < 2**32:
        raise ConfigError(f"--seed {args.seed}: give a seed from 0 to {2**32 - 1}.")
    from .folders import default_sweep_dir

    work_dir = Path(args.work_dir) if args.work_dir else default_sweep_dir(args.config)
    if work_dir.name != f"{Path(args.config).stem}-sweep" and not args.work_dir:
        note(
            f"runner-cli sweep: the config's name with '-sweep' added is too long for a folder "
            f"name here, so the sweep's folder is {str(work_dir)!r} (the name cut short, with a "
            "hash of the whole name; the same on every run). Give --work-dir DIR to choose it."
        )
    space = load_space(args.space)
    # every key must name a setting the run reads: checked before any study or trial exists
    check_paths(space, load_config(args.config, list(args.cfg_options)).to_dict(), args.space)
    opts = SweepOptions(
        config=args.config,
        space=space,
        trials=args.trials,
        timeout=args.timeout,
        work_dir=work_dir,
        storage=args.storage,
        study=args.study,
        metric=args.metric,
        direction=args.direction,
        sampler=args.sampler,
        pruner=args.pruner,
        seed=args.seed,
        cfg_options=list(args.cfg_options),
        debug=bool(getattr(args, "debug", False)),
    )
    try:
        # the trials' run logs go to stderr, so stdout holds only the tables (pipe-friendly)
        with contextlib.redirect_stdout(sys.stderr):
            study = sweep(opts, note)
    except KeyboardInterrupt:
        note(_stopped("interrupted (Ctrl-C)", opts))
        return EXIT_INTERRUPTED
    except TrialPreempted as stop:
        note(_stopped(f"stopped by a signal ({stop})", opts))
        return stop.exit_status
    headers, rows = trial_rows(study)
    best = best_rows(study)
    # the file first: a stdout that fails (| head, an ASCII-only encoding) must not lose it
    path = write_best_config(opts, study) if best is not None else None
    print_table(headers, rows, title=f"study {opts.study_name} ({opts.storage_url})")
    if best is None:
        failed = sum(1 for row in rows if row[1] == "FAIL")
        why = f" ({failed} failed: their reasons are above)" if failed else ""
        note(
            f"runner-cli sweep: no trial completed{why}, so there is no best configuration "
            "and no best_config.py."
        )
        return 1
    print_mapping(best, title="best trial")
    note(
        f"runner-cli sweep: best config written to {path}; draw the study with "
        f"`runner-cli plot {opts.study_dir}`."
    )
    return 0


def _stopped(how: str, opts: Any) -> str:
    return (
        f"runner-cli sweep: {how}. The study {opts.study_name!r} in {opts.storage_url} keeps "
        "its finished trials (a trial cut short is marked FAIL and not counted, and its values "
        "are tried again first): run the same command again to continue the study."
    )
