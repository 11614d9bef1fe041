"""runner-hooks-standard: the default hooks of runner-core, more hooks, vis backends.

The Runner finds these through entry points (``runner.hooks``,
``runner.visbackends``, ``runner.default_hooks``); importing this package
imports none of them until a name is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    "build_runner_with_tta": ".prepare_tta",
    "CheckInvalidLossHook": ".invalid_loss",
    "InvalidLossError": ".invalid_loss",
    "NaiveVisualizationHook": ".naive_visualization",
    "TextLoggerHook": ".aliases",
    "OptimzierHook": ".aliases",
    "LocalVisBackend": ".vis_backends.local",
    "TensorBoardVisBackend": ".vis_backends.tensorboard",
    "standard_default_hooks": ".defaults",
    # MMEngine's alias of a hook's data_batch type (ported ``from mmengine.hooks.logger_hook
    # import DATA_BATCH``)
    "DATA_BATCH": "runner_core.hooks.hook",
}

__all__ = ["__version__", *_LAZY]

if TYPE_CHECKING:  # pragma: no cover
    from runner_core.hooks.hook import DATA_BATCH as DATA_BATCH

    from .aliases import OptimzierHook as OptimzierHook
    from .aliases import TextLoggerHook as TextLoggerHook
    from .checkpoint import CheckpointHook as CheckpointHook
    from .defaults import standard_default_hooks as standard_default_hooks
    from .early_stopping import EarlyStoppingHook as EarlyStoppingHook
    from .ema import EMAHook as EMAHook
    from .empty_cache import EmptyCacheHook as EmptyCacheHook
    from .invalid_loss import CheckInvalidLossHook as CheckInvalidLossHook
    from .invalid_loss import InvalidLossError as InvalidLossError
    from .logger import LoggerHook as LoggerHook
    from .naive_visualization import NaiveVisualizationHook as NaiveVisualizationHook
    from .optimizer import OptimizerHook as OptimizerHook
    from .param_scheduler import ParamSchedulerHook as ParamSchedulerHook
    from .prepare_tta import PrepareTTAHook as PrepareTTAHook
    from .prepare_tta import build_runner_with_tta as build_runner_with_tta
    from .profiler import ProfilerHook as ProfilerHook
    from .runtime_info import RuntimeInfoHook as RuntimeInfoHook
    from .sampler_seed import DistSamplerSeedHook as DistSamplerSeedHook
    from .sync_buffers import SyncBuffersHook as SyncBuffersHook
    from .timer import IterTimerHook as IterTimerHook
    from .vis_backends.local import LocalVisBackend as LocalVisBackend
    from .vis_backends.tensorboard import TensorBoardVisBackend as TensorBoardVisBackend
else:  # type checkers see the real names above, so a misspelled import is an error
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
