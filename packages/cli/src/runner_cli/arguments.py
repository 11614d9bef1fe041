"""Arguments several commands share, spelled the same way everywhere."""

from __future__ import annotations

import argparse


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
