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


class RefusedOption(argparse.Action):
    """An OpenMMLab ``tools/*.py`` flag runner-cli does not take: a one-line error
    naming what to type instead (rather than argparse's bare "unrecognized")."""

    def __init__(self, option_strings: list[str], dest: str, instead: str = "", **kwargs: Any):
        self.instead = instead
        kwargs.setdefault("default", argparse.SUPPRESS)
        super().__init__(option_strings, dest, help=argparse.SUPPRESS, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: Any,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        parser.error(
            f"{option_string} (OpenMMLab's tools/ option) is not an option of runner-cli: {self.instead}"
        )


def refuse(
    parser: argparse.ArgumentParser, flags: tuple[str, ...], instead: str, takes_value: bool
) -> None:
    """Register OpenMMLab flags that runner-cli refuses with ``instead`` as the hint."""
    # not parser.add_argument: CliParser would offer them in "did you mean"
    argparse.ArgumentParser.add_argument(
        parser, *flags, action=RefusedOption, instead=instead, nargs="?" if takes_value else 0
    )


VIS_INSTEAD = (
    "turn on the config's visualization hook with --cfg-options, e.g. "
    "default_hooks.visualization.draw=True default_hooks.visualization.test_out_dir=DIR "
    "(mmdet, mmseg) or default_hooks.visualization.enable=True "
    "default_hooks.visualization.out_dir=DIR (mmpretrain, mmpose, mmaction2); "
    "show, wait_time and interval are options of the same hook."
)


def add_no_pin_memory(parser: argparse.ArgumentParser, persistent: bool) -> None:
    parser.add_argument(
        "--no-pin-memory", action="store_true", help="pin_memory=False in every data loader"
    )
    if persistent:
        parser.add_argument(
            "--no-persistent-workers",
            action="store_true",
            help="persistent_workers=False in every data loader",
        )


def apply_loader_flags(cfg: Any, args: argparse.Namespace) -> None:
    """``--no-pin-memory`` / ``--no-persistent-workers``, as mmpretrain's tools do."""
    off = {}
    if getattr(args, "no_pin_memory", False):
        off["pin_memory"] = False
    if getattr(args, "no_persistent_workers", False):
        off["persistent_workers"] = False
    for key in ("train_dataloader", "val_dataloader", "test_dataloader"):
        if off and cfg.get(key) is not None:
            cfg.merge_from_dict({key: off})
