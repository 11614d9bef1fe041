"""Visualisation backends, registered in ``VISBACKENDS`` through entry points.

Third-party backends (MLflow, W&B, ...) follow the same small protocol:
``add_scalars(scalar_dict, step=0)``, and optionally ``add_scalar``,
``add_config``, ``flush`` and ``close``.
"""

from __future__ import annotations

from .local import LocalVisBackend
from .tensorboard import TensorBoardVisBackend

#: MMEngine's spelling, for code that imports the class by that name
TensorboardVisBackend = TensorBoardVisBackend

__all__ = ["LocalVisBackend", "TensorBoardVisBackend", "TensorboardVisBackend"]
