"""What a run gets without naming it, and the distributions that offer it.

The core imports neither ``runner-loops-standard`` nor
``runner-hooks-standard``; it names them where one is missing, so the error
says what to install. Kept light (no torch): ``runner-cli plugins`` reads it.
"""

from __future__ import annotations

#: the distribution of the standard loops, and of the ``standard`` default-hooks set
STANDARD_LOOPS_DIST = "runner-loops-standard"
STANDARD_HOOKS_DIST = "runner-hooks-standard"
#: the distribution of the ``runner-cli`` command, which ``pip install runner-core`` lacks
CLI_DIST = "runner-cli"

#: the loops a config runs when its ``train_cfg``/``val_cfg``/``test_cfg`` names no type
STANDARD_LOOPS = ("EpochBasedTrainLoop", "IterBasedTrainLoop", "ValLoop", "TestLoop")

#: the warning of a run that has no default-hooks set to use
NO_SET_INSTALLED = (
    "No default-hooks set is installed, so this run gets no default hooks: nothing steps "
    "its param_scheduler (ParamSchedulerHook), saves checkpoints (CheckpointHook) or logs "
    f"(LoggerHook). Install the standard set (`pip install {STANDARD_HOOKS_DIST}`), or set "
    "default_hooks_set='none' in the config to run with only the hooks it names."
)

#: MMEngine's names that one of this project's plugin distributions provides: an unknown
#: name among them says which distribution to install, not only "did you mean"
PROVIDED_BY: dict[str, str] = {
    **dict.fromkeys(STANDARD_LOOPS, STANDARD_LOOPS_DIST),
    **dict.fromkeys(
        (
            "RuntimeInfoHook",
            "IterTimerHook",
            "LoggerHook",
            "ParamSchedulerHook",
            "CheckpointHook",
            "DistSamplerSeedHook",
            "OptimizerHook",
            "EMAHook",
            "EarlyStoppingHook",
            "EmptyCacheHook",
            "SyncBuffersHook",
            "ProfilerHook",
            "PrepareTTAHook",
            "CheckInvalidLossHook",
            "NaiveVisualizationHook",
            "LocalVisBackend",
            "TensorboardVisBackend",
            "TensorBoardVisBackend",
        ),
        STANDARD_HOOKS_DIST,
    ),
    **dict.fromkeys(
        (
            "WandbVisBackend",
            "MLflowVisBackend",
            "ClearMLVisBackend",
            "NeptuneVisBackend",
            "DVCLiveVisBackend",
            "AimVisBackend",
        ),
        "runner-trackers",
    ),
}


def _installed(distribution: str) -> bool:
    from importlib import metadata

    try:
        metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return False
    return True


def missing_distribution_hint(name: str) -> str:
    """`` 'X' comes with <dist>, which is not installed: pip install <dist>.`` for a name one
    of this project's distributions provides when it is missing; else ''."""
    distribution = PROVIDED_BY.get(name)
    if distribution is None or _installed(distribution):
        return ""
    return (
        f" {name!r} comes with the {distribution} distribution, which is not installed: "
        f"pip install {distribution}."
    )


def plugin_listing_hint(registry: str, *, ours: bool = True) -> str:
    """How to list what the registry ``registry`` (its variable's name) offers:
    ``runner-cli plugins`` only where runner-cli is installed (checked on an error path
    only), otherwise in Python, or by installing it. ``ours``: ``registry`` is one of
    ``runner_core.registry``'s (a library's own is listed where it lives)."""
    if _installed(CLI_DIST):
        return "see `runner-cli plugins`"
    where = f"from runner_core.registry import {registry}; " if ours else ""
    return (
        f"list them in Python with `{where}print({registry}.keys())`, or "
        f"`pip install {CLI_DIST}` for `runner-cli plugins`"
    )
