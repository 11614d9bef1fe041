"""runner-trackers: experiment-tracker backends (MLflow, W&B, DVCLive, Aim).

The Runner finds them through ``runner.visbackends`` entry points; importing
this package imports no tracker library until a backend is built.
"""

from __future__ import annotations

from runner_core.lazy import lazy_exports

from .__about__ import __version__

_LAZY = {
    "TrackerBackend": ".base",
    "MLflowVisBackend": ".mlflow_backend",
    "WandbVisBackend": ".wandb_backend",
    "DVCLiveVisBackend": ".dvclive_backend",
    "AimVisBackend": ".aim_backend",
}

__all__ = ["__version__", *_LAZY]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
