"""``runner-cli sweep``: added to runner-cli through the ``runner.plugins`` entry point.

Light to import (runner-cli imports it on every invocation): Optuna and
torch are imported by the handler only.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``sweep`` subcommand."""
    from runner_cli.arguments import add_cfg_options, add_debug

    parser = subparsers.add_parser(
        "sweep",
        help="search hyperparameters with Optuna: each trial is a training run",
        description="Run a hyperparameter sweep on Optuna. Each trial trains CONFIG with the "
        "trial's values applied like --cfg-options, in WORK_DIR/trials/NNN. Several processes "
        "may work on one study (same --storage and --study); running the command again "
        "continues the study until it has --trials finished trials.",
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
        required=True,
        metavar="N",
        help="finished trials the study should have",
    )
    parser.add_argument(
        "--work-dir",
        metavar="DIR",
        help="the sweep's folder (default: work_dirs/<config name>-sweep, or under "
        "[tool.runner] work_dir_root)",
    )
    parser.add_argument(
        "--storage", metavar="URL", help="Optuna RDB storage (default: sqlite:///WORK_DIR/study.db)"
    )
    parser.add_argument("--study", metavar="NAME", help="study name (default: the config's name)")
    parser.add_argument(
        "--metric", metavar="KEY", help="validation metric to optimise (default: the first one)"
    )
    parser.add_argument("--direction", choices=["maximize", "minimize"], default="maximize")
    parser.add_argument("--sampler", choices=["tpe", "random", "grid"], default="tpe")
    parser.add_argument("--pruner", choices=["median", "none"], default="median")
    parser.add_argument("--seed", type=int, help="seed of the sampler")
    add_cfg_options(parser)
    add_debug(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from runner_cli.output import note, print_mapping, print_table
    from runner_cli.run_setup import require_file

    from .space import load_space
    from .sweep import SweepOptions, best_rows, sweep, trial_rows, write_best_config

    require_file(args.config, "config file")
    if args.trials < 1:
        from runner_cli.errors import UsageError

        raise UsageError(f"--trials {args.trials}: give a number of trials of at least 1.")
    from runner_core.project import default_work_dir

    stem = f"{Path(args.config).stem}-sweep"
    work_dir = Path(args.work_dir) if args.work_dir else default_work_dir(args.config, stem)
    opts = SweepOptions(
        config=args.config,
        space=load_space(args.space),
        trials=args.trials,
        work_dir=work_dir,
        storage=args.storage,
        study=args.study,
        metric=args.metric,
        direction=args.direction,
        sampler=args.sampler,
        pruner=args.pruner,
        seed=args.seed,
        cfg_options=list(args.cfg_options),
    )
    study = sweep(opts, note)
    headers, rows = trial_rows(study)
    print_table(headers, rows, title=f"study {opts.study_name} ({opts.storage_url})")
    best = best_rows(study)
    if best is None:
        note("runner-cli sweep: no trial completed, so there is no best configuration.")
        return 1
    print_mapping(best, title="best trial")
    path = write_best_config(opts, study)
    note(
        f"runner-cli sweep: best config written to {path}; draw the study with "
        f"`runner-cli plot {work_dir}`."
    )
    return 0
