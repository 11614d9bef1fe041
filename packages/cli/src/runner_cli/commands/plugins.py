"""``runner-cli plugins``: what every installed plugin offers, read from metadata.

Lists each entry point of every ``runner.*`` group (registry key,
distribution, version, target) without importing anything, flags keys that
two distributions offer, and shows the default-hooks set a run would use.
``--check`` imports every target and reports the ones that fail (exit 1).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..arguments import add_debug
from ..errors import EXIT_FAILURE
from ..output import is_terminal, print_table

DEFAULT_SET_ENV = "RUNNER_DEFAULT_HOOKS"  # read by runner_core.runner.build.active_default_set


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "plugins",
        help="list installed plugins (registry keys, distributions, targets)",
        description="List every entry point of every runner.* group, without importing it.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--check", action="store_true", help="import every entry point and report failures"
    )
    parser.add_argument(
        "--config",
        metavar="CONFIG",
        help="show the default-hooks set a run of CONFIG would use (its default_hooks_set "
        "key, $RUNNER_DEFAULT_HOOKS, [tool.runner] of the nearest pyproject.toml)",
    )
    add_debug(parser)
    parser.set_defaults(handler=run)


def default_hooks_status(config: str | None = None) -> dict[str, Any]:
    """Installed default-hooks sets and the one a run uses (mirrors ``active_default_set``
    without importing the Runner, which would import torch): the config's key, then
    $RUNNER_DEFAULT_HOOKS, then [tool.runner] of the nearest pyproject.toml, then 'standard'."""
    from runner_core.project import choose_default_set
    from runner_core.registry import DEFAULT_HOOK_SETS

    installed = DEFAULT_HOOK_SETS.keys()
    key = None
    if config is not None:
        from runner_core.config import Config

        key = Config.fromfile(config, import_custom_modules=False).get("default_hooks_set")
    chosen, source = choose_default_set(key, config)
    if not chosen:
        source = "default"
        if "standard" in installed:
            chosen = "standard"
        elif len(installed) == 1:
            chosen = installed[0]
        else:
            chosen = None
    problem = None
    if chosen not in (None, "none") and chosen not in installed:
        problem = (
            f"{source} = {chosen!r} names no installed default-hooks set "
            f"(installed: {', '.join(installed) or 'none'})."
        )
    return {"installed": installed, "active": chosen, "chosen_by": source, "problem": problem}


def _conflicts(entries: dict[str, list[Any]]) -> list[str]:
    found = []
    for group, items in sorted(entries.items()):
        by_key: dict[str, set[str]] = {}
        for entry in items:
            by_key.setdefault(entry.key, set()).add(entry.distribution)
        for key, dists in sorted(by_key.items()):
            if len(dists) > 1:
                names = sorted(dists)
                picks = " or ".join(f"'{d}::{key}'" for d in names)
                found.append(
                    f"{key!r} in {group} is offered by {', '.join(names)}: a config naming it "
                    f"fails until you pick one ({picks}) or uninstall one."
                )
    return found


def run(args: argparse.Namespace) -> int:
    from runner_core.registry import discovery

    discovery.refresh()
    entries = discovery.all_entries()
    failures: dict[tuple[str, str, str], str] = {}
    if args.check:
        for items in entries.values():
            for entry in items:
                try:
                    entry.load()
                except Exception as exc:
                    failures[(entry.group, entry.key, entry.distribution)] = " ".join(
                        str(exc).split()
                    )
    hooks = default_hooks_status(args.config)
    conflicts = _conflicts(entries)
    if args.json:
        data = {
            "groups": {
                group: [
                    {
                        "key": e.key,
                        "distribution": e.distribution,
                        "version": e.version,
                        "target": e.target,
                        **(
                            {"ok": (e.group, e.key, e.distribution) not in failures}
                            if args.check
                            else {}
                        ),
                    }
                    for e in sorted(items, key=lambda e: (e.key, e.distribution))
                ]
                for group, items in sorted(entries.items())
            },
            "default_hooks": hooks,
            "conflicts": conflicts,
            "failures": [
                {"group": g, "key": k, "distribution": d, "error": msg}
                for (g, k, d), msg in failures.items()
            ],
        }
        print(json.dumps(data, indent=2))
    else:
        _print_listing(entries, hooks, conflicts, failures, args.check)
    if failures:
        print(
            f"runner-cli: error: {len(failures)} entry point(s) failed to import: "
            + " ".join(f"[{i}] {msg}" for i, msg in enumerate(failures.values(), 1)),
            file=sys.stderr,
        )
        return EXIT_FAILURE
    return 0


def _print_listing(
    entries: dict[str, list[Any]],
    hooks: dict[str, Any],
    conflicts: list[str],
    failures: dict[tuple[str, str, str], str],
    checked: bool,
) -> None:
    headers = ["group", "key", "distribution", "version", "target"] + (
        ["import"] if checked else []
    )
    rows = []
    for group, items in sorted(entries.items()):
        for e in sorted(items, key=lambda e: (e.key, e.distribution)):
            row = [group, e.key, e.distribution, e.version, e.target]
            if checked:
                row.append("FAILED" if (group, e.key, e.distribution) in failures else "ok")
            rows.append(row)
    if not is_terminal():
        print("\t".join(headers))
    print_table(headers, rows, title="runner plugins (entry points)")
    installed = ", ".join(hooks["installed"]) or "none"
    active = hooks["active"] or "none (no set chosen)"
    print(
        f"default hooks: active set {active!r} (chosen by {hooks['chosen_by']}; "
        f"installed: {installed})"
    )
    if hooks["problem"]:
        print(f"warning: {hooks['problem']}")
    for text in conflicts:
        print(f"conflict: {text}")
