"""``runner-cli config check CONFIG``: find every mistake in a config before a run does.

Resolves the config (bases, ``--cfg-options``), then checks, without building
anything heavy, that each ``type`` names a registered object, that its keyword
arguments exist, that the values are ones a run accepts (the Runner's own
checks; the cheap parts, such as hooks and metrics, are built), that every
hook's methods are hook points it can be called at (a plugin's hook too), and
that the parts a command needs are there (see :mod:`runner_cli.config_checker`).
All problems are reported at once; the exit status is 2 if there is any. What
it cannot check without the model and the data is printed with the result.
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
        description="Check CONFIG without training, building the model or reading data: every "
        "'type' names a registered object, its keyword arguments exist, its values are ones a "
        "run accepts (cheap parts such as hooks and metrics are built to check them), hooks' "
        "methods match the hook points, and the parts a command needs are set.",
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
    from ..config_checker import NOT_CHECKED, ConfigChecker
    from ..run_setup import load_config

    cfg = load_config(args.config, args.cfg_options)
    checker = ConfigChecker(cfg, args.command_for)
    problems = checker.run()
    name = cfg.filename or args.config
    for warning in checker.warnings:  # what a run would warn about: said, not failed
        print(f"runner-cli: warning: {warning}", file=sys.stderr)
    unchecked = [*NOT_CHECKED]
    if checker.not_built:  # a plugin's parts: their arguments' names only
        unchecked.append(
            "the values of parts from other packages, not built: " + ", ".join(checker.not_built)
        )
    if not problems:
        print(
            f"{name}: OK ({checker.checked} typed parts checked, {checker.built} built to check "
            "their values)."
        )
        print("Not checked (a run checks these when it starts):")
        print("\n".join(f"  - {line}" for line in unchecked))
        return 0
    lines = [f"runner-cli: error: {name} has {len(problems)} problem(s):"]
    lines += [f"  - {problem}" for problem in problems]
    print("\n".join(lines), file=sys.stderr)
    return EXIT_USAGE
