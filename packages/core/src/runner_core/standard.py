"""What a run gets without naming it, and the distributions that offer it.

The core imports neither ``runner-loops-standard`` nor
``runner-hooks-standard``; it names them where one is missing, so the error
says what to install. Kept light (no torch): ``runner-cli plugins`` reads it.
"""

from __future__ import annotations

#: the distribution of the standard loops, and of the ``standard`` default-hooks set
STANDARD_LOOPS_DIST = "runner-loops-standard"
STANDARD_HOOKS_DIST = "runner-hooks-standard"

#: the loops a config runs when its ``train_cfg``/``val_cfg``/``test_cfg`` names no type
STANDARD_LOOPS = ("EpochBasedTrainLoop", "IterBasedTrainLoop", "ValLoop", "TestLoop")

#: the warning of a run that has no default-hooks set to use
NO_SET_INSTALLED = (
    "No default-hooks set is installed, so this run gets no default hooks: nothing steps "
    "its param_scheduler (ParamSchedulerHook), saves checkpoints (CheckpointHook) or logs "
    f"(LoggerHook). Install the standard set (`pip install {STANDARD_HOOKS_DIST}`), or set "
    "default_hooks_set='none' in the config to run with only the hooks it names."
)
