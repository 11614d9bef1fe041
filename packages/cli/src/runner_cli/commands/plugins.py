"""``runner-cli plugins``: what every installed plugin offers, read from metadata.

Lists each entry point of every ``runner.*`` group (registry key,
distribution, version, target) without importing anything, flags keys that
two distributions offer, and shows the default-hooks set a run would use.
``--check`` imports every target and reports the ones that fail or are not
what their group holds (a hook that is no Hook, or whose methods no hook point
calls as written), subcommand plugins whose ``register()`` fails or claims a
taken name, plugin distributions that require other releases of the runner
packages or torch than the installed ones (or ones not installed at all: the
``pip install`` that brings them), and conflicts that make runs
naming nothing fail (exit 1); it also warns about keys that hide a torch
class a registry would otherwise give for that name (a model ``Linear``, an
optimizer ``Adam``).
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from typing import Any

from ..arguments import add_debug
from ..errors import EXIT_FAILURE
from ..output import is_terminal, print_table
from ..plugin_commands import GROUP

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
    if chosen is None and len(installed) > 1:  # every run fails until one is chosen
        problem = (
            f"several default-hooks sets are installed ({', '.join(installed)}) and none is "
            f"chosen, so every run whose config chooses none fails: choose one with "
            f"default_hooks_set='{installed[0]}' in the config, ${DEFAULT_SET_ENV}, or "
            "[tool.runner] in pyproject.toml."
        )
    if chosen not in (None, "none") and chosen not in installed:
        problem = (
            f"{source} = {chosen!r} names no installed default-hooks set "
            f"(installed: {', '.join(installed) or 'none'})."
        )
    offered = sorted({e.distribution for e in DEFAULT_HOOK_SETS.entry_points(chosen or "")})
    if len(offered) > 1:
        problem = (
            f"the active default-hooks set {chosen!r} (chosen by {source}) is offered by "
            f"{', '.join(offered)}, so every run that uses it fails: uninstall one, or choose one "
            f"with default_hooks_set='{offered[0]}::{chosen}' (or ${DEFAULT_SET_ENV})."
        )
    warning = None
    if chosen is None and not installed:  # runs get no default hooks: said, not failed
        from runner_core.standard import NO_SET_INSTALLED

        warning = NO_SET_INSTALLED
    return {
        "installed": installed,
        "active": chosen,
        "chosen_by": source,
        "problem": problem,
        "warning": warning,
    }


def _conflicts(entries: dict[str, list[Any]], active_set: str | None) -> tuple[list[str], int]:
    """One line per key two distributions offer, and how many of them break runs that
    name nothing (the active default-hooks set, a loop ``train_cfg``/``val_cfg`` picks)
    or a ``runner-cli`` subcommand (neither is added)."""
    from runner_core.standard import STANDARD_LOOPS, STANDARD_LOOPS_DIST

    found = []
    breaking = 0
    for group, items in sorted(entries.items()):
        by_key: dict[str, set[str]] = {}
        for entry in items:
            by_key.setdefault(entry.key, set()).add(entry.distribution)
        for key, dists in sorted(by_key.items()):
            if len(dists) > 1:
                names = sorted(dists)
                if group in ("runner.plugins", "runner.plotters"):  # runner-cli's, no config's
                    if group == "runner.plugins":  # the subcommand is gone: that breaks too
                        breaking += 1
                    what = (
                        "runner-cli adds neither subcommand; uninstall one of them ("
                        + " or ".join(f"`pip uninstall {d}`" for d in names)
                        + ")"
                        if group == "runner.plugins"
                        else "runner-cli plot offers the runs to each in turn, and the first "
                        "that draws them wins"
                    )
                    found.append(f"{key!r} in {group} is offered by {', '.join(names)}: {what}.")
                    continue
                field = "default_hooks_set=" if group == "runner.default_hooks" else "type="
                picks = " or ".join(f"{field}'{d}::{key}'" for d in names)
                if group == "runner.default_hooks" and key == active_set:
                    breaking += 1
                    fails = (
                        "it is the active default-hooks set, so every run that chooses no "
                        "other set fails"
                    )
                elif group == "runner.loops" and key in STANDARD_LOOPS:
                    if STANDARD_LOOPS_DIST in dists:  # what the Runner picks stays standard
                        fails = (
                            "a config naming it fails (loop configs without type= still run "
                            f"{STANDARD_LOOPS_DIST}'s)"
                        )
                    else:
                        breaking += 1
                        fails = (
                            "every config naming it fails, and so does every loop config "
                            "without type= that runs it (by_epoch picks EpochBasedTrainLoop or "
                            "IterBasedTrainLoop, val_cfg ValLoop, test_cfg TestLoop),"
                        )
                else:
                    fails = "a config naming it fails"
                found.append(
                    f"{key!r} in {group} is offered by {', '.join(names)}: {fails} until you "
                    f"pick one ({picks}) or uninstall one."
                )
    return found, breaking


def run(args: argparse.Namespace) -> int:
    from runner_core.registry import discovery

    discovery.refresh()
    entries = discovery.all_entries()
    failures: dict[tuple[str, str, str], str] = {}
    shadows: list[str] = []
    mismatched: list[str] = []
    missing: list[str] = []
    if args.check:
        points = _loop_points(entries.get("runner.loops", []))
        for items in entries.values():
            for entry in items:
                problem = _check_entry(entry, points)
                if problem is not None:
                    failures[(entry.group, entry.key, entry.distribution)] = problem
        failures.update(_command_failures(entries.get(GROUP, []), failures))
        shadows = _shadows(entries)
        mismatched = _requirement_mismatches(entries)
        missing = _missing_requirements(entries)
    hooks = default_hooks_status(args.config)
    conflicts, breaking = _conflicts(entries, hooks["active"])
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
            **(
                {"shadows": shadows, "requirements": mismatched, "missing": missing}
                if args.check
                else {}
            ),
            "failures": [
                {"group": g, "key": k, "distribution": d, "error": msg}
                for (g, k, d), msg in failures.items()
            ],
        }
        print(json.dumps(data, indent=2))
    else:
        _print_listing(entries, hooks, conflicts, failures, args.check)
        for text in shadows:
            print(f"warning: {text}")
    status = 0
    if failures:
        # one line each: several plugins' paragraphs run together are hard to tell apart
        print(
            f"runner-cli: error: {len(failures)} entry point(s) failed to import, are not "
            "what their group holds, or add no subcommand:\n"
            + "\n".join(f"  [{i}] {msg}" for i, msg in enumerate(failures.values(), 1)),
            file=sys.stderr,
        )
        status = EXIT_FAILURE
    if mismatched:
        print(
            f"runner-cli: error: {len(mismatched)} plugin distribution(s) made for other "
            "releases of the runner packages or torch (pip installs them with a warning; "
            "they may fail at run time): install releases made for each other.\n"
            + "\n".join(f"  - {text}" for text in mismatched),
            file=sys.stderr,
        )
        status = EXIT_FAILURE
    if missing:
        print(
            f"runner-cli: error: {len(missing)} plugin distribution(s) require runner "
            "packages (or torch) that are not installed: install them.\n"
            + "\n".join(f"  - {text}" for text in missing),
            file=sys.stderr,
        )
        status = EXIT_FAILURE
    if args.check and (breaking or hooks["problem"]):
        print(
            "runner-cli: error: runs whose config chooses no default-hooks set or loop type, "
            "or a runner-cli subcommand two plugins offer, would fail: see the conflict and "
            "warning lines.",
            file=sys.stderr,
        )
        status = EXIT_FAILURE
    return status


def _check_entry(entry: Any, points: dict[str, tuple[str, ...]]) -> str | None:
    """Import one entry point and check it is what its group holds (a hook class: its
    methods against the hook points, the standard ones and ``points``, the installed
    loops'); the problem, or None."""
    from runner_core.hooks.method_checks import check_hook_class, hook_class_of, problems_message
    from runner_core.registry.kinds import kind_problem

    try:
        obj = entry.load()
    except Exception as exc:
        return " ".join(str(exc).split())
    fix = (
        f"fix that entry point of {entry.distribution}, or uninstall it "
        f"(`pip uninstall {entry.distribution}`)."
    )
    problem = kind_problem(entry.group, obj)
    if problem is not None:
        return f"The plugin {entry.where()} loads, but {problem}: {fix}"
    cls = hook_class_of(obj) if entry.group == "runner.hooks" and inspect.isclass(obj) else None
    wrong = [] if cls is None else check_hook_class(cls, points)
    if wrong:
        return (
            f"The plugin {entry.where()} loads, but every run using it would stop when it "
            f"starts: {problems_message(wrong)} {fix[0].upper()}{fix[1:]}"
        )
    return None


def _command_failures(
    commands: list[Any], failures: dict[tuple[str, str, str], str]
) -> dict[tuple[str, str, str], str]:
    """The ``runner.plugins`` entry points that load but add no subcommand (``register()``
    raised or claimed a taken name), as the parser every ``runner-cli`` run builds finds
    them. Keys two distributions offer are left to the conflict lines."""
    from ..main import build_parser

    _, added = build_parser()
    found = {}
    for entry in commands:
        ident = (entry.group, entry.key, entry.distribution)
        offered = {e.distribution for e in commands if e.key == entry.key}
        if entry.key in added.problems and ident not in failures and len(offered) == 1:
            found[ident] = " ".join(added.problems[entry.key].split())
    return found


def _requirement_mismatches(entries: dict[str, list[Any]]) -> list[str]:
    """What each plugin distribution requires of the runner packages and torch that the
    installed ones are not (``runner-core<0.2`` with 0.2.0 installed), one line each."""
    from runner_core.registry.requirements import unmet_requirements

    names = sorted({e.distribution for items in entries.values() for e in items})
    return [text for name in names for text in unmet_requirements(name)]


def _missing_requirements(entries: dict[str, list[Any]]) -> list[str]:
    """The runner packages (or torch) each plugin distribution requires that are not
    installed at all, with the ``pip install`` that brings them, one line each."""
    from runner_core.registry.requirements import (
        missing_requirements,
        missing_requirements_sentence,
    )

    names = sorted({e.distribution for items in entries.values() for e in items})
    return [
        missing_requirements_sentence(name, missing)
        for name in names
        if (missing := missing_requirements(name))
    ]


def _loop_points(loops: list[Any]) -> dict[str, tuple[str, ...]]:
    """The hook points the installed loops declare (a plugin's hook may implement its
    loop's): name -> the arguments they pass. A loop that fails to load is reported
    by itself."""
    from ..config_checker import loop_points

    points: dict[str, tuple[str, ...]] = {}
    for entry in loops:
        try:
            points.update(loop_points(entry.load()))
        except Exception:  # reported as that entry point's failure
            continue
    return points


def _shadows(entries: dict[str, list[Any]]) -> list[str]:
    """One line per entry point named like a torch class its registry falls back to
    (``runner.models`` ``Linear``): every config naming that class gets the plugin's."""
    from runner_core.registry import ALL_REGISTRIES
    from runner_core.registry.shadowing import shadow_message

    found = []
    registries = {r.group: r for r in ALL_REGISTRIES.values()}
    for group, registry in sorted(registries.items()):
        for entry in sorted(entries.get(group, []), key=lambda e: (e.key, e.distribution)):
            hidden = registry.fallback_object(entry.key)
            if hidden is not None:
                found.append(shadow_message(registry, entry, hidden))
    return found


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
    for key in ("problem", "warning"):
        if hooks.get(key):
            print(f"warning: {hooks[key]}")
    for text in conflicts:
        print(f"conflict: {text}")
