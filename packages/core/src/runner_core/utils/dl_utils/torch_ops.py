"""torch version shims OpenMMLab code imports: ``TORCH_VERSION``, ``torch_meshgrid``, tracing.

MMEngine kept these to support torch < 1.10 (and parrots); runner needs torch
2.1+, so each is the plain torch call, kept under the name code imports.
"""

from __future__ import annotations

import torch

__all__ = ["TORCH_VERSION", "is_jit_tracing", "torch_meshgrid"]

TORCH_VERSION: str = torch.__version__


def torch_meshgrid(*tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """``torch.meshgrid(*tensors, indexing='ij')``: the old default, without torch's warning."""
    return tuple(torch.meshgrid(*tensors, indexing="ij"))


def is_jit_tracing() -> bool:
    """Whether ``torch.jit.trace`` is tracing the running code (export paths skip checks then)."""
    return bool(torch.jit.is_tracing())
