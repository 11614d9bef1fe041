"""MMEngine's ``mmengine.analysis.jit_handles`` import path: the per-operator counting
handles, which live in :mod:`.handles` (there is no jit trace here)."""

from __future__ import annotations

from .handles import (
    Handle,
    addmm_flop_jit,
    batchnorm_flop_jit,
    bmm_flop_jit,
    conv_flop_count,
    conv_flop_jit,
    einsum_flop_jit,
    elementwise_flop_counter,
    generic_activation_jit,
    get_shape,
    linear_flop_jit,
    matmul_flop_jit,
    norm_flop_counter,
)

__all__ = [
    "Handle",
    "addmm_flop_jit",
    "batchnorm_flop_jit",
    "bmm_flop_jit",
    "conv_flop_count",
    "conv_flop_jit",
    "einsum_flop_jit",
    "elementwise_flop_counter",
    "generic_activation_jit",
    "get_shape",
    "linear_flop_jit",
    "matmul_flop_jit",
    "norm_flop_counter",
]
