"""runner-hooks-standard: the default hooks of runner-core, more hooks, vis backends.

The Runner finds these through entry points (``runner.hooks``,
``runner.visbackends``, ``runner.default_hooks``); importing this package
imports none of them until a name is used.
"""

from __future__ import annotations

from runner_core.lazy import lazy_exports

from .__about__ import __version__

_LAZY = {
    "RuntimeInfoHook": ".runtime_info",
    "IterTimerHook": ".timer",
    "LoggerHook": ".logger",
    "ParamSchedulerHook": ".param_scheduler",
    "CheckpointHook": ".checkpoint",
    "DistSamplerSeedHook": ".sampler_seed",
    "OptimizerHook": ".optimizer",
    "EMAHook": ".ema",
    "EarlyStoppingHook": ".early_stopping",
    "EmptyCacheHook": ".empty_cache",
    "SyncBuffersHook": ".sync_buffers",
    "ProfilerHook": ".profiler",
    "PrepareTTAHook": ".prepare_tta",
    "CheckInvalidLossHook": ".invalid_loss",
    "InvalidLossError": ".invalid_loss",
    "TextLoggerHook": ".aliases",
    "OptimzierHook": ".aliases",
    "LocalVisBackend": ".vis_backends.local",
    "TensorBoardVisBackend": ".vis_backends.tensorboard",
    "standard_default_hooks": ".defaults",
}

__all__ = ["__version__", *_LAZY]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
