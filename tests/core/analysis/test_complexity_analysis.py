"""FLOP and activation counts equal MMEngine 0.10.7's on the same models and inputs.

Every expected number below was computed by ``mmengine.analysis`` (its
``FlopAnalyzer``/``ActivationAnalyzer``, jit-traced) on the models of
conftest.py with the inputs of ``make_case``; one multiply-add is one FLOP.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from runner_core.analysis import (
    ActivationAnalyzer,
    FlopAnalyzer,
    activation_count,
    flop_count,
    parameter_count,
    parameter_count_table,
)

from .conftest import ResNetLike, make_case

# computed by MMEngine 0.10.7: FlopAnalyzer(model, inputs).by_module() / .by_operator()
MMENGINE_FLOPS: dict[str, tuple[dict[str, float], dict[str, float]]] = {
    "mlp": (
        {"": 10752, "fc1": 8192, "act": 0, "drop": 0, "fc2": 2560},
        {"linear": 10752},
    ),
    "resnet": (
        {
            "": 1302144, "stem": 237568, "stem.0": 221184, "stem.1": 16384, "stem.2": 0,
            "pool": 0, "layer1": 598016, "layer1.conv1": 294912, "layer1.bn1": 4096,
            "layer1.conv2": 294912, "layer1.bn2": 4096, "layer1.relu": 0, "layer2": 464896,
            "layer2.conv1": 147456, "layer2.bn1": 2048, "layer2.conv2": 294912,
            "layer2.bn2": 2048, "layer2.relu": 0, "layer2.downsample": 18432,
            "layer2.downsample.0": 16384, "layer2.downsample.1": 2048, "gap": 1024, "head": 640,
        },
        {"conv": 1269760, "batch_norm": 30720, "adaptive_avg_pool2d": 1024, "linear": 640},
    ),
    "resnet_train": (  # batch norm in training mode normalizes: 5 per element, not 2
        {
            "": 1348224, "stem": 262144, "stem.0": 221184, "stem.1": 40960, "stem.2": 0,
            "pool": 0, "layer1": 610304, "layer1.conv1": 294912, "layer1.bn1": 10240,
            "layer1.conv2": 294912, "layer1.bn2": 10240, "layer1.relu": 0, "layer2": 474112,
            "layer2.conv1": 147456, "layer2.bn1": 5120, "layer2.conv2": 294912,
            "layer2.bn2": 5120, "layer2.relu": 0, "layer2.downsample": 21504,
            "layer2.downsample.0": 16384, "layer2.downsample.1": 5120, "gap": 1024, "head": 640,
        },
        {"conv": 1269760, "batch_norm": 76800, "adaptive_avg_pool2d": 1024, "linear": 640},
    ),
    "mha_block": (
        {
            "": 209920, "norm1": 2560, "attn": 73728, "attn.out_proj": 0, "norm2": 2560,
            "mlp": 131072, "mlp.0": 65536, "mlp.1": 0, "mlp.2": 65536,
        },
        {"layer_norm": 5120, "linear": 196608, "bmm": 8192},
    ),
    "vit_block": (
        {
            "": 209920, "norm1": 2560, "attn": 73728, "attn.qkv": 49152, "attn.proj": 16384,
            "norm2": 2560, "mlp": 131072, "mlp.0": 65536, "mlp.1": 0, "mlp.2": 65536,
        },
        {"layer_norm": 5120, "linear": 196608, "matmul": 8192},
    ),
    "upnet": (
        {
            "": 113664, "enc": 16384, "enc.0": 13824, "enc.1": 2560, "enc.2": 0, "up": 2048,
            "dec": 73728, "norm": 5120,
        },
        {
            "conv": 87552, "group_norm": 2560, "upsample_nearest2d": 2048,
            "instance_norm": 5120, "upsample_bilinear2d": 16384,
        },
    ),
    "misc": (
        {
            "": 45440.0, "conv_t": 3200, "gconv": 28800, "conv1d": 384, "bn_noaffine": 1600,
            "inorm": 6400, "pool": 1600, "used_twice": 1152, "unused": 0, "ident": 0,
        },
        {
            "conv": 32384, "batch_norm": 1600, "instance_norm": 6400,
            "adaptive_avg_pool2d": 1600, "linear": 1152, "einsum": 768.0, "bmm": 768,
            "matmul": 768,
        },
    ),
    "shared": ({"": 384, "a": 384, "inner": 0, "inner.1": 0}, {"linear": 384}),
    "convnext": (
        {"": 372736, "dw": 100352, "norm": 10240, "pw1": 131072, "act": 0, "pw2": 131072},
        {"conv": 100352, "layer_norm": 10240, "linear": 262144},
    ),
    "torch_encoder": (  # scaled_dot_product_attention is not counted (unsupported) there
        {
            "": 204288, "enc": 204288, "enc.layers": 204288, "enc.layers.0": 102144,
            "enc.layers.0.self_attn": 49152, "enc.layers.0.self_attn.out_proj": 0,
            "enc.layers.0.linear1": 24576, "enc.layers.0.dropout": 0,
            "enc.layers.0.linear2": 24576, "enc.layers.0.norm1": 1920,
            "enc.layers.0.norm2": 1920, "enc.layers.0.dropout1": 0, "enc.layers.0.dropout2": 0,
            "enc.layers.1": 102144, "enc.layers.1.self_attn": 49152,
            "enc.layers.1.self_attn.out_proj": 0, "enc.layers.1.linear1": 24576,
            "enc.layers.1.dropout": 0, "enc.layers.1.linear2": 24576,
            "enc.layers.1.norm1": 1920, "enc.layers.1.norm2": 1920,
            "enc.layers.1.dropout1": 0, "enc.layers.1.dropout2": 0,
        },
        {"linear": 196608, "layer_norm": 7680},
    ),
}  # fmt: skip

# computed by MMEngine 0.10.7: ActivationAnalyzer(model, inputs).by_module() (zeros left
# out) / .by_operator()
MMENGINE_ACTIVATIONS: dict[str, tuple[dict[str, float], dict[str, float]]] = {
    "mlp": ({"": 296, "fc1": 256, "fc2": 40}, {"linear": 296}),
    "resnet": (
        {
            "": 15380, "stem": 8192, "stem.0": 8192, "layer1": 4096, "layer1.conv1": 2048,
            "layer1.conv2": 2048, "layer2": 3072, "layer2.conv1": 1024, "layer2.conv2": 1024,
            "layer2.downsample": 1024, "layer2.downsample.0": 1024, "head": 20,
        },
        {"conv": 15360, "linear": 20},
    ),
    "mha_block": (
        {"": 5632, "attn": 3072, "mlp": 2560, "mlp.0": 2048, "mlp.2": 512},
        {"linear": 4608, "bmm": 1024},
    ),
    "vit_block": (
        {
            "": 5632, "attn": 3072, "attn.qkv": 1536, "attn.proj": 512, "mlp": 2560,
            "mlp.0": 2048, "mlp.2": 512,
        },
        {"linear": 4608, "matmul": 1024},
    ),
    "upnet": ({"": 1536, "enc": 512, "enc.0": 512, "dec": 1024}, {"conv": 1536}),
    "misc": (
        {"": 2976, "conv_t": 800, "gconv": 1600, "conv1d": 32, "used_twice": 192},
        {"conv": 2432, "linear": 192, "einsum": 128, "bmm": 96, "matmul": 128},
    ),
    "shared": ({"": 48, "a": 48}, {"linear": 48}),
    "convnext": (
        {"": 12288, "dw": 2048, "pw1": 8192, "pw2": 2048},
        {"conv": 2048, "linear": 10240},
    ),
}  # fmt: skip

# computed by MMEngine 0.10.7: FlopAnalyzer(...).unsupported_ops() (operators without a FLOP
# formula). The nn.MultiheadAttention block differs: a jit trace records the shape
# arithmetic of F.multi_head_attention_forward (aten::mul/div/unflatten) and drops the
# unused averaging of the attention weights (aten::mean); we record what runs.
MMENGINE_UNSUPPORTED: dict[str, dict[str, int]] = {
    "mlp": {},
    "resnet": {"aten::max_pool2d": 1, "aten::add": 2},
    "resnet_train": {"aten::add_": 6, "aten::max_pool2d": 1, "aten::add": 2},
    "vit_block": {"aten::mul": 1, "aten::softmax": 1, "aten::add": 2, "aten::gelu": 1},
    "upnet": {},
    "misc": {
        "aten::scaled_dot_product_attention": 1,
        "aten::sum": 5,
        "aten::add": 5,
        "aten::sigmoid": 1,
        "aten::mean": 1,
    },
    "shared": {},
}


@pytest.mark.parametrize("case", list(MMENGINE_FLOPS))
def test_flops_per_module_and_operator_equal_mmengine(case: str) -> None:
    model, inputs = make_case(case)
    analyzer = FlopAnalyzer(model, inputs).unsupported_ops_warnings(False)
    by_module, by_operator = MMENGINE_FLOPS[case]
    assert dict(analyzer.by_module()) == by_module
    assert dict(analyzer.by_operator()) == by_operator
    assert analyzer.total() == by_module[""]


@pytest.mark.parametrize("case", list(MMENGINE_ACTIVATIONS))
def test_activations_per_module_and_operator_equal_mmengine(case: str) -> None:
    model, inputs = make_case(case)
    analyzer = ActivationAnalyzer(model, inputs).unsupported_ops_warnings(False)
    by_module, by_operator = MMENGINE_ACTIVATIONS[case]
    assert {k: v for k, v in analyzer.by_module().items() if v} == by_module
    assert dict(analyzer.by_operator()) == by_operator
    assert analyzer.total() == by_module[""]


@pytest.mark.parametrize("case", list(MMENGINE_UNSUPPORTED))
def test_unsupported_operators_equal_mmengine(case: str) -> None:
    model, inputs = make_case(case)
    analyzer = FlopAnalyzer(model, inputs).unsupported_ops_warnings(False)
    assert dict(analyzer.unsupported_ops()) == MMENGINE_UNSUPPORTED[case]


def test_flop_count_and_activation_count_are_per_operator_giga_and_mega() -> None:
    model, inputs = make_case("resnet")
    gflops, unsupported = flop_count(model, inputs)
    assert gflops["conv"] == pytest.approx(1269760 / 1e9)
    assert gflops["batch_norm"] == pytest.approx(30720 / 1e9)
    assert unsupported == {"aten::max_pool2d": 1, "aten::add": 2}
    macts, _ = activation_count(model, inputs)
    assert dict(macts) == pytest.approx({"conv": 15360 / 1e6, "linear": 20 / 1e6})


def test_supported_ops_adds_a_handle() -> None:
    model, inputs = make_case("resnet")
    gflops, unsupported = flop_count(
        model, inputs, supported_ops={"aten::max_pool2d": lambda i, o: 1000}
    )
    assert gflops["max_pool2d"] == pytest.approx(1e-6)
    assert "aten::max_pool2d" not in unsupported


def test_a_none_handle_ignores_batch_norm() -> None:
    # MMEngine documents set_op_handle("aten::batch_norm", None) for inference-time fusion,
    # but there the default handle stays and batch norm is still counted
    model, inputs = make_case("resnet")
    analyzer = FlopAnalyzer(model, inputs).set_op_handle("aten::batch_norm", None)
    assert "batch_norm" not in analyzer.by_operator()
    assert analyzer.total() == 1302144 - 30720
    assert "aten::batch_norm" not in analyzer.unsupported_ops()


def test_parameter_count_per_module_and_parameter() -> None:
    model = ResNetLike()
    count = parameter_count(model)
    assert count[""] == sum(p.numel() for p in model.parameters()) == 19994
    assert count["head"] == 330 and count["head.weight"] == 320
    assert count["layer2.downsample.0.weight"] == 512


def test_a_shared_parameter_counts_once() -> None:
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, shared)
    assert parameter_count(model)[""] == 6


def _cells(table: str) -> list[list[str]]:
    """The rows of a box.ASCII2 table as lists of stripped cells (headers and body)."""
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in table.splitlines()
        if line.startswith("|")
    ]


def test_parameter_count_table_rows_match_mmengine() -> None:
    table = parameter_count_table(ResNetLike(), max_depth=2)
    assert table.splitlines()[0].strip() == "parameter count of ResNetLike"
    assert table.endswith("+\n")  # as MMEngine's rich table
    title, border = table.splitlines()[:2]
    assert len(title) == len(border)  # centred and padded to the table's width, as MMEngine
    small = parameter_count_table(nn.Sequential(nn.Linear(3, 4)))
    assert small.splitlines()[0] == "   parameter count of Sequential   "  # MMEngine's line
    rows = _cells(table)
    assert rows[0] == ["name", "#elements or shape"]
    # rows as MMEngine 0.10.7 prints them (1 decimal, K/M/G; shapes for parameters)
    assert rows[1:5] == [["model", "20.0K"], ["stem", "0.5K"], ["stem.0", "0.4K"], ["stem.1", "32"]]
    assert ["layer2.downsample", "0.6K"] in rows and ["head.weight", "(10, 32)"] in rows
    assert not any(row[0] == "stem.0.weight" for row in rows)  # deeper than max_depth
    assert "|  stem " in table  # one more space of indent per level


def test_counts_follow_the_inputs_batch() -> None:
    model = ResNetLike().eval()
    one = FlopAnalyzer(model, (torch.randn(1, 3, 32, 32),)).total()
    two = FlopAnalyzer(model, (torch.randn(2, 3, 32, 32),)).total()
    assert two == 2 * one == 1302144


def test_a_same_padded_convolution_counts() -> None:
    # MMEngine's trace records conv2d(padding='same') as aten::_convolution_mode, which has no
    # handle there: the convolution counts 0 and is listed unsupported
    model = nn.Conv2d(2, 4, 3, padding="same", dilation=2)
    analyzer = FlopAnalyzer(model, (torch.randn(2, 2, 6, 6),))
    assert analyzer.total() == 2 * (4 * 2 * 3 * 3) * 36
    assert analyzer.unsupported_ops() == {}
