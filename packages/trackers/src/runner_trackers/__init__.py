"""runner-trackers: experiment-tracker backends (MLflow, W&B, DVCLive, Aim, ClearML, Neptune).

The Runner finds them through ``runner.visbackends`` entry points; importing
this package imports no tracker library until a backend is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner_core.lazy import lazy_exports

from .__about__ import __version__

_LAZY = {
    "TrackerBackend": ".base",
    "MLflowVisBackend": ".mlflow_backend",
    "WandbVisBackend": ".wandb_backend",
    "DVCLiveVisBackend": ".dvclive_backend",
    "AimVisBackend": ".aim_backend",
    "ClearMLVisBackend": ".clearml_backend",
    "NeptuneVisBackend": ".neptune_backend",
}

__all__ = ["__version__", *_LAZY]

if TYPE_CHECKING:  # pragma: no cover
    from .aim_backend import AimVisBackend as AimVisBackend
    from .base import TrackerBackend as TrackerBackend
    from .clearml_backend import ClearMLVisBackend as ClearMLVisBackend
    from .dvclive_backend import DVCLiveVisBackend as DVCLiveVisBackend
    from .mlflow_backend import MLflowVisBackend as MLflowVisBackend
    from .neptune_backend import NeptuneVisBackend as NeptuneVisBackend
    from .wandb_backend import WandbVisBackend as WandbVisBackend
else:  # type checkers see the real names above, so a misspelled import is an error
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
