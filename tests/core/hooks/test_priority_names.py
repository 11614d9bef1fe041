"""Hook priorities compare as MMEngine code compares them: MMEngine's hooks hold a name
(``'NORMAL'``), ours a ``Priority`` member, which equals both its name and its number."""

from __future__ import annotations

from pathlib import Path

from runner_core import Runner
from runner_core.hooks import Hook, Priority, get_priority
from runner_core.model import ModuleAdapter

#: MMEngine 0.10.7's default hooks and their ``priority`` (read from a Runner of it)
MMENGINE_DEFAULTS = {
    "RuntimeInfoHook": "VERY_HIGH",
    "IterTimerHook": "NORMAL",
    "DistSamplerSeedHook": "NORMAL",
    "LoggerHook": "BELOW_NORMAL",
    "ParamSchedulerHook": "LOW",
    "CheckpointHook": "VERY_LOW",
}


def test_a_member_equals_its_name_and_its_number() -> None:
    assert Priority.NORMAL == "NORMAL" and "NORMAL" == Priority.NORMAL
    assert Priority.NORMAL != "LOW" and not (Priority.NORMAL != "NORMAL")
    assert Priority.NORMAL != "normal"  # MMEngine's names are compared as written
    assert Priority.NORMAL == 50 and Priority.LOW != 50 and Priority.LOW > Priority.NORMAL
    by_number: dict[int, int] = {Priority.LOW: 1}
    assert by_number[70] == 1 and Priority.HIGH in {30}


def test_default_hooks_compare_as_mmengine_s(tmp_path: Path) -> None:
    import torch

    runner = Runner(model=ModuleAdapter(torch.nn.Linear(2, 1)), work_dir=str(tmp_path))
    seen = {type(h).__name__: h.priority for h in runner.hooks}
    for name, priority in MMENGINE_DEFAULTS.items():
        assert seen[name] == priority, name
    runner.register_hook(Hook(), priority="LOW")
    runner.register_hook(Hook(), priority=55)
    given = [h.priority for h in runner.hooks if type(h) is Hook]
    assert given == [55, "LOW"]  # kept as given, as MMEngine keeps them
    order = [get_priority(h.priority) for h in runner.hooks]
    assert order == sorted(order)
