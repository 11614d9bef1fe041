"""Subcommands of runner-cli. Each module exposes ``register(subparsers)``.

Modules here must import heavy things (torch, runner_core.runner) inside their
``run`` functions only, so that ``runner-cli --help`` stays fast.
"""

from __future__ import annotations

COMMAND_MODULES = (
    "runner_cli.commands.train",
    "runner_cli.commands.evaluate",
    "runner_cli.commands.config",
    "runner_cli.commands.plugins",
    "runner_cli.commands.plot",
    "runner_cli.commands.analyze",
)
