"""Entry point of ``runner-cli``: argument parsing and error reporting.

Each subcommand lives in :mod:`runner_cli.commands` and imports what it needs
only when it runs, so ``--help`` never imports torch. Plugins add subcommands
through the ``runner.plugins`` entry-point group (see
:mod:`runner_cli.plugin_commands` for the contract).
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from .__about__ import __version__
from .commands import COMMAND_MODULES
from .errors import EXIT_INTERRUPTED, EXIT_USAGE, report
from .plugin_commands import PluginCommands, add_plugin_commands


class _VersionAction(argparse.Action):
    """``--version``: versions of torch, runner's packages and the plugins (metadata only)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        kwargs.update(nargs=0, default=argparse.SUPPRESS)
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from .versions import version_text

        print(version_text(parser.prog, __version__))
        parser.exit()


class CliParser(argparse.ArgumentParser):
    """argparse with hints: "did you mean" for a mistyped command or option, and a note
    when ``--cfg-options`` took the config's path (it takes every word after it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        #: every option string added (argparse keeps its own list private)
        self.option_names: list[str] = []
        #: the subcommands' choices action, once add_subparsers made it
        self.subcommand_action: Any = None
        super().__init__(*args, **kwargs)

    def add_subparsers(self, **kwargs: Any) -> Any:
        self.subcommand_action = super().add_subparsers(**kwargs)
        return self.subcommand_action

    @property
    def subcommands(self) -> dict[str, Any]:
        """Subcommand name -> its parser (argparse keeps the list on the action)."""
        action = self.subcommand_action
        return dict(action.choices) if action is not None else {}

    def _get_option_tuples(self, option_string: str) -> list[Any]:
        """Abbreviations match runner-cli's own options first: a refused OpenMMLab flag
        (``--resume-from``) must not make ``--res`` ambiguous; a prefix of refused flags
        only (``--gpu``) still gets their hint."""
        from .arguments import RefusedOption

        found = super()._get_option_tuples(option_string)
        real = [option for option in found if not isinstance(option[0], RefusedOption)]
        return real or found[:1]  # refused ones alike: any of them gives the same hint

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        self.option_names.extend(action.option_strings)
        return action

    def error(self, message: str) -> NoReturn:
        from runner_core.errors import did_you_mean

        hints = ""
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice:
            hints += did_you_mean(choice.group(1), re.findall(r"'([^']*)'", choice.group(2)))
        unknown = re.match(r"unrecognized arguments: (.*)", message)
        if unknown:
            options = self.option_names
            for word in unknown.group(1).split():
                flag = word.split("=", 1)[0]
                if flag.startswith("-"):
                    hints += did_you_mean(flag, options)
        if hints:
            message = message.rstrip(".") + "." + hints
        if "required: CONFIG" in message and "--cfg-options" in _ARGV:
            message += (
                " (--cfg-options takes every word after it, the config's path too: put CONFIG "
                "before --cfg-options)"
            )
        if "required: CONFIG" in message and "--resume" in _ARGV:
            after = _ARGV[_ARGV.index("--resume") + 1 : _ARGV.index("--resume") + 2]
            if after and not after[0].startswith("-"):
                message += (
                    f" (--resume took {after[0]!r} as the checkpoint to resume from: put CONFIG "
                    "before --resume, or write --resume=auto)"
                )
        super().error(message)


#: the command line being parsed, for CliParser's hints
_ARGV: list[str] = []


def build_parser() -> tuple[CliParser, PluginCommands]:
    """The full parser: built-in commands, then the plugins' commands."""
    parser = CliParser(
        prog="runner-cli",
        description="Command-line tools for runner, the PyTorch training runner.",
        epilog="Exit status: 0 ok, 1 a failure while running, 2 bad command line or config, "
        "75 work dir in use by another run, 130 interrupted (Ctrl-C), 143/138 stopped by "
        "SIGTERM/SIGUSR1 after saving. Add --debug to see the traceback of an error.",
    )
    parser.add_argument(
        "--version",
        action=_VersionAction,
        help="show the versions of runner-cli, torch, runner's packages and plugins",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback when something fails"
    )
    # `python -m torch.distributed.launch ... -m runner_cli train cfg.py` passes
    # --local-rank=N before the script's arguments, so before the command
    parser.add_argument(
        "--local_rank",
        "--local-rank",
        dest="launcher_local_rank",
        type=int,
        default=None,
        help=argparse.SUPPRESS,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    builtin = list(subparsers.choices)
    plugins = add_plugin_commands(subparsers, builtin)
    return parser, plugins


def _reporting_parser(parser: CliParser, argv: list[str], extras: list[str]) -> Any:
    """The innermost (sub)command parser reached before the first unknown word."""
    first = min((argv.index(word) for word in extras if word in argv), default=len(argv))
    current: Any = parser
    for word in argv[:first]:
        if not isinstance(current, CliParser):
            break
        current = current.subcommands.get(word, current)
    return current


def _requested_command(argv: Sequence[str]) -> str | None:
    for token in argv:
        if not token.startswith("-"):
            return token
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 failure, 2 usage/config error,
    75 work dir busy, 130 Ctrl-C; see ``errors``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        parser, plugins = build_parser()
    except Exception as exc:
        if debug:
            raise
        return report(exc)
    command = _requested_command(argv)
    if command in plugins.problems and command not in plugins.owners:
        print(f"runner-cli: error: {' '.join(plugins.problems[command].split())}", file=sys.stderr)
        return EXIT_USAGE
    for problem in plugins.problems.values():
        print(f"runner-cli: warning: {' '.join(problem.split())}", file=sys.stderr)
    _ARGV[:] = argv
    args, extras = parser.parse_known_args(argv)
    if extras:  # reported by the subcommand's parser: its usage, its options
        sub = _reporting_parser(parser, argv, extras)
        sub.error(f"unrecognized arguments: {' '.join(extras)}")
    if args.launcher_local_rank is not None:  # as the commands' own --local-rank does
        os.environ.setdefault("LOCAL_RANK", str(args.launcher_local_rank))
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("runner-cli: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 1
    except Exception as exc:
        from .failure_log import record_for_torchrun

        debug = debug or bool(getattr(args, "debug", False))
        record_for_torchrun(exc, debug=debug)
        if debug:
            import traceback

            traceback.print_exc()  # then the same one-paragraph report and exit status
        return report(exc, debug=debug)


def console() -> int:
    """The ``runner-cli`` command: :func:`main` with one-line warnings, then a quick
    interpreter exit. (An in-process ``main()`` leaves the caller's warnings alone.)"""
    import warnings

    from .errors import show_warning

    warnings.showwarning = show_warning
    try:
        os.getcwd()
    except FileNotFoundError:  # torch cannot even load then (oneMKL FATAL ERROR, exit 2)
        print(
            "runner-cli: error: the current folder no longer exists (deleted?); cd into an "
            "existing folder and run again.",
            file=sys.stderr,
        )
        return 1
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:  # tables and notes: escape what the encoding lacks
        reconfigure(errors="backslashreplace")
    try:
        code = main()
    except KeyboardInterrupt:  # before main's own handler is in place (plugin discovery)
        from .errors import EXIT_INTERRUPTED

        print("runner-cli: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    _spare_the_exit_collection()
    return code


def _spare_the_exit_collection() -> None:
    """Keep Python's shutdown from walking every object that importing torch made.

    The interpreter runs the cyclic garbage collector over all live objects
    while it shuts down, ~290,000 once torch is imported: 1.5-2.5 s per
    ``runner-cli train`` on a 2-core VM. Garbage is collected first, so no
    finalizer waiting for the collector is skipped; what is alive now lives
    until the process ends anyway. Only for the command: an in-process
    ``main()`` leaves the caller's collector alone.
    """
    if "torch" not in sys.modules:
        return
    import gc

    _stop_daemon_workers()
    gc.collect()
    gc.freeze()


def _stop_daemon_workers() -> None:
    """End daemonic child processes (idle data-loader workers) before the collection.

    ``multiprocessing`` ends them at exit anyway. Collected first, a
    persistent loader's iterator and its queues are finalized in no set
    order: with its index queues closed, the iterator's shutdown cannot tell
    the workers to stop and waits out two 5 s timeouts per loader.
    """
    import multiprocessing

    children = [child for child in multiprocessing.active_children() if child.daemon]
    for child in children:
        child.terminate()
    for child in children:
        child.join(1.0)
        if child.is_alive():  # a worker ignoring SIGTERM (e.g. still inside a preemption)
            child.kill()
            child.join()


if __name__ == "__main__":
    sys.exit(console())
