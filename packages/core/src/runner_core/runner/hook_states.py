"""Each hook's own state in a checkpoint, under a key that survives changes to the hook list.

A default hook's state is stored under its role (``checkpoint``, ``logger``).
A custom hook's is stored under its class name, and the n-th hook of one class
under ``Name[n]`` (n ≥ 2, counted in the order the hooks run; ``Name[1]`` for
the first where a role is called ``Name``). Counting per
class, not over all hooks, lets a run resume after a default role was removed
or another default set chosen: the keys of the hooks that stay do not move.

Checkpoints written before this scheme keyed custom hooks ``Name#i``, ``i`` the
hook's index among all hooks; those are still read, matched to the class's
hooks in order.
"""

from __future__ import annotations

import re
import reprlib
import warnings
from collections.abc import Mapping
from typing import Any

_LEGACY_KEY = re.compile(r"^(?P<name>.+)#(?P<index>\d+)$")


def hook_state_keys(runner: Any) -> list[tuple[Any, str, bool]]:
    """Every hook of ``runner`` with the key its state is stored under, and whether that
    key is its role, in run order.

    A custom hook whose class name is also a role of this run (a plugin's default set
    may name roles freely) is ``Name[1]``, so the two states never share a key.
    """
    roles = [runner.hooks.role_of(hook) for hook in runner.hooks]
    taken = set(filter(None, roles))
    seen: dict[str, int] = {}
    keyed = []
    for hook, role in zip(runner.hooks, roles):
        if role:
            keyed.append((hook, role, True))
            continue
        name = type(hook).__name__
        seen[name] = n = seen.get(name, 0) + 1
        keyed.append((hook, name if n == 1 and name not in taken else f"{name}[{n}]", False))
    return keyed


def collect_hook_states(runner: Any) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The non-empty ``state_dict()`` of every hook by key, and what wrote each: the
    hook's class name and whether the key is a role (``meta['hook_types']``).

    A state that is no dict is left out with a warning: saved, it would make resume
    refuse the run's own checkpoint (a hook's state must be a dict). None (a
    ``state_dict`` that only says ``pass``) is an empty state, as ``{}`` is.
    """
    states, types = {}, {}
    for hook, key, is_role in hook_state_keys(runner):
        state = hook.state_dict()
        if state is not None and not isinstance(state, Mapping):  # None: a bare `pass`
            warnings.warn(_not_a_dict(hook, key, state), stacklevel=2)
            continue
        if state:
            states[key] = state
            types[key] = {"class": type(hook).__name__, "role": is_role}
    return states, types


def _not_a_dict(hook: Any, key: str, state: Any) -> str:
    name = type(hook).__name__
    return (
        f"{name}.state_dict() returned {type(state).__name__} {reprlib.repr(state)}, not a "
        f"dict: hook state {key!r} is not saved in this checkpoint, and resuming from it will "
        f"not restore it. state_dict must return a dict, e.g. {{'value': ...}}, which "
        f"{name}.load_state_dict gets back."
    )


def _with_legacy_keys(states: Mapping[str, Any]) -> dict[str, Any]:
    """``states`` with old ``Name#i`` keys renamed to ``Name``, ``Name[2]``, ... in ``i`` order."""
    legacy: dict[str, list[tuple[int, str]]] = {}
    renamed = {}
    for key, state in states.items():
        match = _LEGACY_KEY.match(key)
        if match is None:
            renamed[key] = state
        else:
            legacy.setdefault(match["name"], []).append((int(match["index"]), key))
    for name, keys in legacy.items():
        for n, (_, key) in enumerate(sorted(keys), start=1):
            renamed.setdefault(name if n == 1 else f"{name}[{n}]", states[key])
    return renamed


def _writers(types: Any) -> dict[str, tuple[str | None, bool | None]]:
    """``meta['hook_types']`` as key -> (class name, is a role); None where not known."""
    found: dict[str, tuple[str | None, bool | None]] = {}
    for key, info in types.items() if isinstance(types, Mapping) else ():
        if isinstance(info, Mapping):
            role = info.get("role")
            found[key] = (info.get("class"), role if isinstance(role, bool) else None)
    return found


def restore_hook_states(
    runner: Any, states: Mapping[str, Any], path: str, types: Any = None
) -> None:
    """Give each hook its state from ``states``; warn about states no hook claims.

    A hook takes the state under its key if a hook of its kind (role or custom)
    wrote it. One whose key found nothing takes a state left over from a hook of
    its class (``types``, ``meta['hook_types']``: what wrote each state), one of
    its own kind first: a default hook moved to ``custom_hooks`` (or the reverse)
    keeps its state. A state still left over means a hook of the run that wrote
    the checkpoint is not in this one: its state (a best score, a counter) is
    dropped, which the user should hear about rather than find out from a
    changed result.
    """
    unclaimed = _with_legacy_keys(states)
    writers = _writers(types)
    waiting = []
    for hook, key, is_role in hook_state_keys(runner):
        kind = writers.get(key, (None, None))[1]
        if key in unclaimed and kind in (None, is_role):
            _load(hook, key, unclaimed.pop(key), path)
        else:
            waiting.append((hook, is_role))
    for hook, is_role in waiting:  # same class, another key: its own kind first
        name = type(hook).__name__
        same = [k for k in unclaimed if writers.get(k, (None, None))[0] == name]
        same.sort(key=lambda k: writers[k][1] != is_role)  # stable: saved order otherwise
        for other in same[:1]:
            state = unclaimed.pop(other)
            if not _load(hook, other, state, path, strict=False):
                unclaimed[other] = state  # another class of that name: left, and reported
    if unclaimed:
        runner.logger.warning(
            "%s holds the state of hooks this run does not have: %s. Their state is not "
            "restored; add those hooks back (default_hooks / custom_hooks) to resume it, "
            "or ignore this if you removed them on purpose.",
            path,
            ", ".join(sorted(unclaimed)),
        )


def _load(hook: Any, key: str, state: Any, path: str, strict: bool = True) -> bool:
    """``hook.load_state_dict(state)``; a state that does not fit is an error (``strict``)
    or False (a state found by class name only, which may be another class's)."""
    from ..checkpoint import CheckpointError

    try:
        hook.load_state_dict(state)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        if not strict:
            return False
        raise CheckpointError(
            f"Cannot resume from {path!r}: its 'hooks.{key}' state does not fit "
            f"{type(hook).__name__} ({type(exc).__name__}: {exc}). Resume from a "
            "checkpoint this hook wrote, or remove the hook's entry from the file."
        ) from exc
    return True
