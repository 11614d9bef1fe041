"""Arguments several commands share, spelled the same way everywhere."""

from __future__ import annotations

import argparse
import os
from typing import Any


def add_debug(parser: argparse.ArgumentParser) -> None:
    """``--debug`` after the subcommand too (``runner-cli train c.py --debug``)."""
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the full traceback when something fails",
    )


def add_cfg_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cfg-options",
        nargs="+",
        action="extend",  # repeated --cfg-options add up, as MMEngine's DictAction
        default=[],
        metavar="KEY=VALUE",
        help="override config settings, e.g. train_cfg.max_epochs=5 "
        "'param_scheduler.milestones=[30,60]'",
    )


def add_work_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--work-dir",
        metavar="DIR",
        help="where logs and checkpoints go (default: the config's work_dir, "
        "else work_dirs/<config name>)",
    )


def add_launcher(parser: argparse.ArgumentParser) -> None:
    """``--launcher``, and the ``--local_rank``/``--local-rank`` that
    ``python -m torch.distributed.launch`` passes (OpenMMLab's ``dist_train.sh``)."""
    from runner_core.distributed.launch import LAUNCHERS  # the core's list: one to keep

    parser.add_argument(
        "--launcher",
        choices=LAUNCHERS,
        help="how the processes were started (pytorch: torchrun; slurm: srun; "
        "mpi: OpenMPI's mpirun)",
    )
    parser.add_argument(
        "--local_rank",
        "--local-rank",
        dest="local_rank",
        type=int,
        default=None,
        help="set by torch.distributed.launch (torchrun sets LOCAL_RANK instead)",
    )


def apply_launcher(cfg: Any, args: argparse.Namespace) -> None:
    """Put ``--launcher`` into the config; ``--local_rank`` into ``LOCAL_RANK``, as
    OpenMMLab's tools do, unless the launcher set it already."""
    if args.local_rank is not None:
        os.environ.setdefault("LOCAL_RANK", str(args.local_rank))
    if args.launcher is not None:
        cfg.merge_from_dict({"launcher": args.launcher})
