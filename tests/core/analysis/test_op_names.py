"""Torch calls are named (and their arguments ordered) as a jit trace records them."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from runner_core.analysis.op_names import SKIP, function_call


def test_convolutions_are_aten_convolution_with_the_transposed_flag_at_6() -> None:
    x, w = torch.zeros(1, 2, 4, 4), torch.zeros(3, 2, 3, 3)
    call = function_call(torch.conv2d, (x, w), {"stride": 2})
    assert call is not None and call.kind == "aten::_convolution"
    assert call.inputs[3] == 2 and call.inputs[6] is False and len(call.inputs) == 13
    call = function_call(torch.conv_transpose2d, (x, torch.zeros(2, 3, 2, 2)), {})
    assert call is not None and call.inputs[6] is True


def test_python_spellings_and_tensor_methods() -> None:
    x = torch.zeros(2, 2)
    for func, kind in [
        (torch.Tensor.__matmul__, "aten::matmul"),
        (torch.Tensor.add, "aten::add"),
        (torch.Tensor.float, "aten::to"),
        (torch.Tensor.__getitem__, "aten::slice"),
        (F.linear, "aten::linear"),
    ]:
        call = function_call(func, (x, x), {})
        assert call is not None and call.kind == kind, func


def test_metadata_is_no_operator_and_python_composites_are_looked_into() -> None:
    x = torch.zeros(2, 2)
    assert function_call(torch.Tensor.size, (x,), {}) is SKIP
    assert function_call(torch.Tensor.dim, (x,), {}) is SKIP
    assert function_call(F.relu, (x,), {}) is None  # its aten::relu is recorded instead


def test_python_functions_a_trace_records_as_one_operator() -> None:
    x = torch.zeros(2, 3, 4, 4)
    bn = function_call(F.batch_norm, (x, None, None), {"training": True})
    assert bn is not None and bn.kind == "aten::batch_norm" and bn.inputs[5] is True
    pool = function_call(F.adaptive_avg_pool2d, (x, 1), {})
    assert pool is not None and pool.kind == "aten::adaptive_avg_pool2d"
    a, b = torch.zeros(2, 3), torch.zeros(3, 4)
    einsum = function_call(torch.einsum, ("ij,jk->ik", a, b), {})
    assert einsum is not None and einsum.inputs[0] == "ij,jk->ik" and len(einsum.inputs[1]) == 2
    sublist = function_call(torch.einsum, (a, [0, 1], b, [1, 2], [0, 2]), {})
    assert sublist is not None and sublist.inputs[0] == "ab,bc->ac"
