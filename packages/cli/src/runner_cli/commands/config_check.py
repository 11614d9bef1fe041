"""``runner-cli config check CONFIG``: find every mistake in a config before a run does.

Resolves the config (bases, ``--cfg-options``), then checks, without building
anything heavy, that each ``type`` names a registered object, that its keyword
arguments exist, and that the parts a command needs are there (see
:mod:`runner_cli.config_checker`). All problems are reported at once; the exit
status is 2 if there is any.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..arguments import add_cfg_options, add_debug
from ..errors import EXIT_USAGE


def register_check(actions: Any) -> None:
    """Add ``check`` under ``runner-cli config``."""
    parser = actions.add_parser(
        "check",
        help="check a config: registered types, keyword arguments, required parts",
        description="Check CONFIG without building or training anything: every 'type' names a "
        "registered object, its keyword arguments exist, and the parts a command needs are set.",
    )
    parser.add_argument("config", metavar="CONFIG", help="a .py, .json, .yaml or .yml config file")
    add_cfg_options(parser)
    parser.add_argument(
        "--for",
        dest="command_for",
        choices=("train", "val", "test"),
        help="also require the parts this command needs",
    )
    add_debug(parser)
    parser.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    from ..config_checker import ConfigChecker
    from ..run_setup import load_config

    cfg = load_config(args.config, args.cfg_options)
    checker = ConfigChecker(cfg, args.command_for)
    problems = checker.run()
    name = cfg.filename or args.config
    for warning in checker.warnings:  # what a run would warn about: said, not failed
        print(f"runner-cli: warning: {warning}", file=sys.stderr)
    if not problems:
        print(f"{name}: OK ({checker.checked} typed parts checked).")
        return 0
    lines = [f"runner-cli: error: {name} has {len(problems)} problem(s):"]
    lines += [f"  - {problem}" for problem in problems]
    print("\n".join(lines), file=sys.stderr)
    return EXIT_USAGE
