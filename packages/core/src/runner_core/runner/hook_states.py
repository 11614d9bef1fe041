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
from collections.abc import Mapping
from typing import Any

_LEGACY_KEY = re.compile(r"^(?P<name>.+)#(?P<index>\d+)$")


def hook_state_keys(runner: Any) -> list[tuple[Any, str]]:
    """Every hook of ``runner`` with the key its state is stored under, in run order.

    A custom hook whose class name is also a role of this run (a plugin's default set
    may name roles freely) is ``Name[1]``, so the two states never share a key.
    """
    roles = [runner.hooks.role_of(hook) for hook in runner.hooks]
    taken = set(filter(None, roles))
    seen: dict[str, int] = {}
    keyed = []
    for hook, role in zip(runner.hooks, roles):
        if role:
            keyed.append((hook, role))
            continue
        name = type(hook).__name__
        seen[name] = n = seen.get(name, 0) + 1
        keyed.append((hook, name if n == 1 and name not in taken else f"{name}[{n}]"))
    return keyed


def collect_hook_states(runner: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The non-empty ``state_dict()`` of every hook by key, and the class name of the hook
    behind each (stored in ``meta['hook_types']``)."""
    states, types = {}, {}
    for hook, key in hook_state_keys(runner):
        state = hook.state_dict()
        if state:
            states[key] = state
            types[key] = type(hook).__name__
    return states, types


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


def restore_hook_states(
    runner: Any, states: Mapping[str, Any], path: str, types: Mapping[str, str] | None = None
) -> None:
    """Give each hook its state from ``states``; warn about states no hook claims.

    A hook whose key found nothing takes a state left over from a hook of its
    class (``types``: the class behind each saved state), in order: a default
    hook moved to ``custom_hooks`` (or the reverse) keeps its state. A state
    still left over means a hook of the run that wrote the checkpoint is not
    in this one: its state (a best score, a counter) is dropped, which the user
    should hear about rather than find out from a changed result.
    """
    unclaimed = _with_legacy_keys(states)
    saved_types = types if isinstance(types, Mapping) else {}
    waiting = []
    for hook, key in hook_state_keys(runner):
        if key in unclaimed:
            _load(hook, key, unclaimed.pop(key), path)
        else:
            waiting.append(hook)
    for hook in waiting:  # same class, another key
        name = type(hook).__name__
        other = next((k for k in unclaimed if saved_types.get(k) == name), None)
        if other is not None:
            _load(hook, other, unclaimed.pop(other), path)
    if unclaimed:
        runner.logger.warning(
            "%s holds the state of hooks this run does not have: %s. Their state is not "
            "restored; add those hooks back (default_hooks / custom_hooks) to resume it, "
            "or ignore this if you removed them on purpose.",
            path,
            ", ".join(sorted(unclaimed)),
        )


def _load(hook: Any, key: str, state: Any, path: str) -> None:
    from ..checkpoint import CheckpointError

    try:
        hook.load_state_dict(state)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        raise CheckpointError(
            f"Cannot resume from {path!r}: its 'hooks.{key}' state does not fit "
            f"{type(hook).__name__} ({type(exc).__name__}: {exc}). Resume from a "
            "checkpoint this hook wrote, or remove the hook's entry from the file."
        ) from exc
