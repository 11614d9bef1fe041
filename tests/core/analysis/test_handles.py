"""The FLOP formulas (one multiply-add = 1) and the argument objects handles receive."""

from __future__ import annotations

from collections import Counter

import pytest
import torch

from runner_core.analysis.handles import (
    OpValue,
    batchnorm_flop_jit,
    conv_flop_jit,
    einsum_flop_jit,
    elementwise_flop_counter,
    generic_activation_jit,
    get_shape,
    linear_flop_jit,
    matmul_flop_jit,
    norm_flop_counter,
)


def t(*shape: int) -> OpValue:
    return OpValue(shape=list(shape))


def v(value: object) -> OpValue:
    return OpValue(value=value)


def test_op_value_keeps_shapes_not_tensors_and_answers_as_a_jit_value() -> None:
    tensor = OpValue.of(torch.zeros(2, 3))
    assert tensor.shape == [2, 3] and tensor.isCompleteTensor() and tensor.type().sizes() == [2, 3]
    assert tensor.toIValue() is None and get_shape(tensor) == [2, 3]
    flag = OpValue.of(True)
    assert flag.toIValue() is True and not flag.isCompleteTensor() and get_shape(flag) is None
    operands = OpValue.of([torch.zeros(1), torch.zeros(2, 2)])
    assert [get_shape(x) for x in operands.node().inputs()] == [[1], [2, 2]]
    assert OpValue.of(torch.float32).toIValue() == "torch.float32"


def test_convolution_counts_weight_times_output_positions() -> None:
    conv = [t(2, 4, 5, 5), t(8, 2, 3, 3), v(None), v([1, 1]), v([1, 1]), v([1, 1]), v(False)]
    assert conv_flop_jit(conv, [t(2, 8, 5, 5)]) == Counter({"conv": 2 * 8 * 2 * 9 * 25})
    transposed = [t(1, 4, 5, 5), t(4, 4, 2, 2), *conv[2:6], v(True)]
    assert conv_flop_jit(transposed, [t(1, 4, 10, 10)]) == Counter({"conv": 1 * 64 * 25})


def test_linear_and_matmul() -> None:
    assert linear_flop_jit([t(2, 3, 8), t(4, 8), v(None)], [t(2, 3, 4)]) == 2 * 3 * 8 * 4
    assert matmul_flop_jit([t(8), t(8, 5)], [t(5)]) == 8 * 5
    assert matmul_flop_jit([t(2, 3, 8), t(8)], [t(2, 3)]) == 2 * 3 * 8


def test_einsum_uses_the_bmm_count_or_numpys_optimal_path() -> None:
    operands = OpValue.of([torch.zeros(2, 3, 4), torch.zeros(2, 3, 5)])
    assert einsum_flop_jit([v("nct,ncp->ntp"), operands], []) == 2 * 3 * 4 * 5
    chain = OpValue.of([torch.zeros(3, 4), torch.zeros(4, 5), torch.zeros(5, 6)])
    assert einsum_flop_jit([v("ij,jk,kl->il"), chain], []) == float(3 * 4 * 5 + 3 * 5 * 6)


def test_normalizations() -> None:
    x = t(2, 4, 3, 3)
    bn = [x, t(4), t(4), t(4), t(4)]
    assert batchnorm_flop_jit([*bn, v(False)], []) == 72 * 2  # eval: scale and shift
    assert batchnorm_flop_jit([x, v(None), v(None), t(4), t(4), v(False)], []) == 72
    assert batchnorm_flop_jit([*bn, v(True)], []) == 72 * 5  # training: normalize too
    assert norm_flop_counter(2)([x, v(2), v(None), v(None)], []) == 72 * 4


def test_elementwise_and_activation_handles() -> None:
    assert elementwise_flop_counter(0, 4)([t(1, 2, 4, 4)], [t(1, 2, 8, 8)]) == 512
    assert elementwise_flop_counter(1, 0)([t(1, 2, 4, 4)], [t(1, 2, 1, 1)]) == 32
    assert generic_activation_jit()([], [t(3, 7)]) == 21
    assert generic_activation_jit("conv")([], [t(3, 7)]) == Counter({"conv": 21})


def test_a_shape_where_a_tensor_is_expected_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="expected a tensor argument"):
        linear_flop_jit([v(3), t(4, 3)], [])
