"""Entry point of ``runner-cli``: argument parsing and error reporting.

Each subcommand lives in :mod:`runner_cli.commands` and imports what it needs
only when it runs, so ``--help`` never imports torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .__about__ import __version__
from .commands import COMMAND_MODULES
from .errors import EXIT_FAILURE, EXIT_USAGE, UsageError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="runner-cli", description="Command-line tools for the runner training runner."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback when something fails"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def _user_error_types() -> tuple[type[BaseException], ...]:
    from runner_core.errors import RunnerError

    return (UsageError, RunnerError)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 2 usage/config error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_FAILURE
    except Exception as exc:
        if args.debug:
            raise
        message = " ".join(str(exc).split()) or type(exc).__name__
        if isinstance(exc, _user_error_types()):
            print(f"runner-cli: error: {message}", file=sys.stderr)
            return EXIT_USAGE
        print(
            f"runner-cli: unexpected {type(exc).__name__}: {message} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
