"""``runner-cli config ...``: look at a resolved config without running anything."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    """Add ``config`` and its subcommands to the top-level parser."""
    parser = subparsers.add_parser(
        "config", help="inspect config files", description="Inspect config files."
    )
    actions = parser.add_subparsers(dest="config_command", metavar="SUBCOMMAND")
    actions.required = True

    dump = actions.add_parser(
        "dump",
        help="print a config resolved (bases merged, overrides applied)",
        description=(
            "Print CONFIG with its _base_ chain merged and --cfg-options applied. "
            "JSON is printed as one object."
        ),
    )
    dump.add_argument("config", metavar="CONFIG", help="a .py, .json, .yaml or .yml config file")
    dump.add_argument(
        "--format",
        choices=("py", "json", "yaml"),
        default="py",
        help="output format (default: py)",
    )
    dump.add_argument(
        "--cfg-options",
        nargs="+",
        action="extend",  # repeated --cfg-options add up, as MMEngine's DictAction
        default=[],
        metavar="KEY=VALUE",
        help="override settings, e.g. model.backbone.depth=50 'param_scheduler.milestones=[30,60]'",
    )
    dump.set_defaults(handler=run_dump)

    from .config_check import register_check

    register_check(actions)


def run_dump(args: argparse.Namespace) -> int:
    from ..run_setup import load_config

    # the same reading of --cfg-options as train/val/test/config check (path keys as typed)
    cfg = load_config(args.config, args.cfg_options or [])
    text = cfg.dump(file_format=args.format) or ""  # with its warnings of what cannot load back
    # a config file is UTF-8 whatever the terminal's encoding (`config dump cfg.py > out.py`)
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        sys.stdout.flush()
        buffer.write(text.encode("utf-8"))
        buffer.flush()
    else:
        sys.stdout.write(text)
    return 0
