"""The ``digits`` default-hooks set: the ``standard`` set with this library's checkpoint hook.

Offered through the ``runner.default_hooks`` entry-point group; a run picks it
with ``default_hooks_set='digits'`` in its config or ``RUNNER_DEFAULT_HOOKS=digits``
in the environment.
"""

from __future__ import annotations

from typing import Any

from runner_core.errors import PluginError
from runner_core.registry import DEFAULT_HOOK_SETS


def digits_default_hooks() -> dict[str, dict[str, Any]]:
    """Role -> hook config: ``standard``'s roles, ``checkpoint`` swapped for ``DigitsCheckpointHook``."""
    # qualified: another distribution's set also called 'standard' cannot break this one
    standard = DEFAULT_HOOK_SETS.get("runner-hooks-standard::standard", default=None)
    if standard is None:
        raise PluginError(
            "The 'digits' default-hooks set builds on the 'standard' set, which is not installed. "
            "Install it with `pip install runner-hooks-standard`."
        )
    hooks = dict(standard() if callable(standard) else standard)
    hooks["checkpoint"] = {"type": "DigitsCheckpointHook"}
    return hooks
