"""What one forward pass records: operators, their calling modules, nothing kept alive."""

from __future__ import annotations

import torch
from torch import nn

from runner_core.analysis.model_analysis import ModelAnalysis
from runner_core.analysis.op_record import Recording, record


def _record(model: nn.Module, *inputs: torch.Tensor) -> Recording:
    names = {
        m: n for m, n in ModelAnalysis(model, inputs)._aliases.items() if isinstance(m, nn.Module)
    }
    return record(model, inputs, names)


def test_each_torch_call_is_one_operator_in_its_modules_scope() -> None:
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    ops = _record(model, torch.randn(2, 4)).ops
    assert [(op.kind, op.scope) for op in ops] == [
        ("aten::linear", ("", "0")),  # not the t + addmm it runs
        ("aten::relu", ("", "1")),
    ]
    assert ops[0].inputs[0].shape == [2, 4] and ops[0].outputs[0].shape == [2, 3]


def test_operators_inside_multi_head_attention_get_their_traced_names() -> None:
    attn = nn.MultiheadAttention(8, 2, batch_first=True).eval()
    x = torch.randn(2, 3, 8)
    kinds = [op.kind for op in _record(attn, x, x, x).ops]
    # F.multi_head_attention_forward is Python: its ATen ops are recorded, the projections'
    # mm/addmm on a transposed weight named back to linear (a decomposed bias add included)
    assert kinds.count("aten::linear") == 2 and kinds.count("aten::bmm") == 2
    assert "aten::mm" not in kinds and "aten::addmm" not in kinds
    assert kinds.count("aten::add") == 0


def test_torch_ops_calls_are_recorded() -> None:
    class Ops(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.ops.aten.sigmoid(x)

    assert [op.kind for op in _record(Ops(), torch.randn(2)).ops] == ["aten::sigmoid"]


def test_metadata_calls_mark_the_module_called_but_are_no_operators() -> None:
    class Shape(nn.Module):
        def forward(self, x: torch.Tensor) -> int:
            return x.shape[0] + x.size(1) + x.dim()

    recording = _record(nn.Sequential(Shape()), torch.randn(2, 3))
    assert recording.ops == [] and ("", "0") in recording.touched


def test_cross_attention_projections_are_linears_as_mmengine_names_them() -> None:
    # a query that is not the key: F.multi_head_attention_forward multiplies by row blocks
    # of in_proj_weight (chunk(3)), which MMEngine's jit trace still calls linear
    attn = nn.MultiheadAttention(8, 2, batch_first=True).eval()
    query, memory = torch.randn(2, 3, 8), torch.randn(2, 5, 8)
    kinds = [op.kind for op in _record(attn, query, memory, memory).ops]
    assert kinds.count("aten::linear") == 3  # q's block, k's and v's (one: k is v), output
    assert "aten::matmul" not in kinds and "aten::mm" not in kinds
