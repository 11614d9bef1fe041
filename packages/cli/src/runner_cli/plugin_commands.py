"""Subcommands added by plugins, through the ``runner.plugins`` entry-point group.

The contract, for a distribution that wants ``runner-cli export ...``::

    # pyproject.toml
    [project.entry-points."runner.plugins"]
    export = "my_pkg.cli:register"

    # my_pkg/cli.py
    def register(subparsers):
        parser = subparsers.add_parser("export", help="export a model to ONNX")
        parser.add_argument("config")
        parser.set_defaults(handler=run)   # run(args) -> exit status (int or None)

    def run(args):
        import torch  # heavy imports inside the handler, never at module level
        ...

* The entry point's name is the subcommand's name; ``register(subparsers)``
  receives argparse's subparsers object and adds that one subcommand (aliases
  allowed). It runs on every ``runner-cli`` invocation, so the module must be
  light to import: ``runner-cli --help`` stays fast only if it imports no torch.
* The handler raises runner's errors (``ConfigError``, ...) or ``UsageError``
  for bad input: runner-cli prints them as one paragraph with the right exit
  status, as for its own commands.
* A plugin that fails to load, fails (or calls ``sys.exit``) in ``register``,
  or claims a name that a built-in command or another plugin already has,
  does not break the other commands: it is
  reported with a one-line warning, and running its command says what is
  wrong and how to fix it (exit status 2); ``runner-cli plugins --check``
  counts it as a failure (exit status 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

GROUP = "runner.plugins"


@dataclass
class PluginCommands:
    """What loading the plugins' subcommands gave: owners, and problems per command name."""

    owners: dict[str, str] = field(default_factory=dict)  # command -> who added it
    problems: dict[str, str] = field(default_factory=dict)  # command -> what is wrong


class _ClaimConflict(Exception):
    pass


class _GuardedSubparsers:
    """Hands a plugin the subparsers object, refusing names that are already taken."""

    def __init__(self, subparsers: Any, owners: dict[str, str], owner: str) -> None:
        self._subparsers = subparsers
        self._owners = owners
        self._owner = owner

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        for claimed in [name, *kwargs.get("aliases", ())]:
            if claimed in self._owners:
                raise _ClaimConflict(claimed, self._owners[claimed])
        parser = self._subparsers.add_parser(name, **kwargs)
        for claimed in [name, *kwargs.get("aliases", ())]:
            self._owners[claimed] = self._owner
        return parser

    def __getattr__(self, name: str) -> Any:
        return getattr(self._subparsers, name)


def add_plugin_commands(subparsers: Any, builtin: list[str]) -> PluginCommands:
    """Call every ``runner.plugins`` entry point's ``register(subparsers)``."""
    from runner_core.errors import PluginError
    from runner_core.registry import discovery

    found = PluginCommands(owners={name: "runner-cli (built in)" for name in builtin})
    by_key: dict[str, list[Any]] = {}
    for entry in discovery.entries(GROUP):
        by_key.setdefault(entry.key, []).append(entry)
    for key, entries in sorted(by_key.items()):
        dists = {e.distribution for e in entries}
        if len(dists) > 1:
            listing = "; ".join(e.describe() for e in entries)
            found.problems[key] = (
                f"Two installed distributions offer the runner-cli subcommand {key!r} "
                f"(entry-point group {GROUP!r}): {listing}. runner-cli cannot tell which one you "
                f"mean, so it adds neither; uninstall one of them ("
                + " or ".join(f"`pip uninstall {d}`" for d in sorted(dists))
                + ")."
            )
            continue
        entry = entries[0]
        owner = f"{entry.distribution} {entry.version} ({entry.target})"
        try:
            register = entry.load()
        except PluginError as exc:
            found.problems[key] = str(exc)
            continue
        if not callable(register):
            found.problems[key] = (
                f"The runner-cli plugin {key!r} ({owner}) is not a callable register(subparsers) "
                f"but a {type(register).__name__}; fix {entry.distribution}'s entry point in group "
                f"{GROUP!r}, or uninstall it (`pip uninstall {entry.distribution}`)."
            )
            continue
        try:
            register(_GuardedSubparsers(subparsers, found.owners, owner))
        except _ClaimConflict as clash:
            name, holder = clash.args
            found.problems[key] = (
                f"The runner-cli plugin {key!r} ({owner}) adds the subcommand {name!r}, which "
                f"{holder} already provides; it was not added. Uninstall one of the two "
                f"(`pip uninstall {entry.distribution}`), or rename the plugin's subcommand."
            )
        except (Exception, SystemExit) as exc:  # sys.exit() in register() ends no command
            found.problems[key] = (
                f"The runner-cli plugin {key!r} (entry point in group {GROUP!r} of {owner}) "
                f"failed while adding its subcommand: {type(exc).__name__}: "
                f"{' '.join(str(exc).split())}. Fix or reinstall {entry.distribution}, or "
                f"uninstall it (`pip uninstall {entry.distribution}`)."
            )
    return found
