"""Inference the MMEngine way: ``BaseInferencer`` and its errors.

``from mmengine.infer import BaseInferencer`` becomes
``from runner_core.infer import BaseInferencer``. Importing this package
imports torch; ``import runner_core`` does not import it.
"""

from __future__ import annotations

from .errors import (
    InferencerAttributeError,
    InferencerDefinitionError,
    InferencerError,
    InferencerTypeError,
    ModelZooError,
)
from .infer import BaseInferencer

__all__ = [
    "BaseInferencer",
    "InferencerAttributeError",
    "InferencerDefinitionError",
    "InferencerError",
    "InferencerTypeError",
    "ModelZooError",
]
