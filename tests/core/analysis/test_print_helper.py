"""get_model_complexity_info: what OpenMMLab's get_flops.py prints."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from runner_core.analysis import (
    ActivationAnalyzer,
    FlopAnalyzer,
    complexity_stats_str,
    complexity_stats_table,
    get_model_complexity_info,
)
from runner_core.analysis.print_helper import format_size

from .conftest import MLP, ResNetLike, TwoInputs, make_case


def _cells(table: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in table.splitlines()
        if line.startswith("|")
    ]


@pytest.mark.parametrize(
    ("model", "input_shape", "expected"),
    [
        # computed by MMEngine 0.10.7: get_model_complexity_info(model, input_shape=...)
        (
            ResNetLike,
            (3, 32, 32),
            dict(flops=651072, flops_str="0.651M", activations=7690, activations_str="7.69K",
                 params=19994, params_str="19.994K"),
        ),
        (
            TwoInputs,
            ((4,), (6,)),
            dict(flops=80, flops_str="80", activations=16, activations_str="16", params=96,
                 params_str="96"),
        ),
        (
            MLP,
            (32,),
            dict(flops=2688, flops_str="2.688K", activations=74, activations_str="74",
                 params=2762, params_str="2.762K"),
        ),
    ],
)  # fmt: skip
def test_numbers_from_an_input_shape_equal_mmengine(model, input_shape, expected) -> None:
    info = get_model_complexity_info(model().eval(), input_shape=input_shape)
    assert {k: v for k, v in info.items() if not k.startswith("out_")} == expected
    assert info["out_table"].startswith("\n+") and info["out_arch"].startswith("\n")


def test_numbers_from_inputs_equal_mmengine() -> None:
    model, inputs = make_case("misc")
    info = get_model_complexity_info(model, inputs=inputs, show_table=False, show_arch=False)
    # computed by MMEngine 0.10.7
    assert info["flops"] == 45440.0 and info["flops_str"] == "45.44K"
    assert info["activations"] == 2976 and info["activations_str"] == "2.976K"
    assert info["params"] == 326 and info["params_str"] == "0.326K"
    assert info["out_table"] == info["out_arch"] == ""


def test_the_table_has_mmengines_columns_and_rows() -> None:
    model, inputs = make_case("resnet")
    rows = _cells(get_model_complexity_info(model, inputs=inputs, show_arch=False)["out_table"])
    assert rows[0] == ["module", "#parameters or shape", "#flops", "#activations"]
    # rows as MMEngine 0.10.7 prints them for this model
    assert rows[1] == ["model", "19.994K", "1.302M", "15.38K"]
    assert rows[2:5] == [
        ["stem", "0.464K", "0.238M", "8.192K"],
        ["stem.0", "0.432K", "0.221M", "8.192K"],
        ["stem.0.weight", "(16, 3, 3, 3)", "", ""],
    ]
    assert ["layer2.downsample.0", "0.512K", "16.384K", "1.024K"] in rows
    assert ["gap", "", "1.024K", "0"] in rows
    # modules with nothing to count (ReLU, MaxPool) have no row; nor do depths over 3
    assert not any(row[0] in ("pool", "stem.2", "layer1.relu") for row in rows)


def test_a_single_child_with_the_same_numbers_shares_its_parents_row() -> None:
    model = nn.Sequential(nn.Sequential(nn.Linear(4, 4)))
    table = complexity_stats_table(
        FlopAnalyzer(model, (torch.randn(1, 4),)), show_param_shapes=False
    )
    assert _cells(table) == [["module", "#parameters", "#flops"], ["0.0", "20", "16"]]


def test_the_arch_is_the_models_repr_annotated_per_module() -> None:
    model, inputs = make_case("misc")
    arch = complexity_stats_str(FlopAnalyzer(model, inputs), ActivationAnalyzer(model, inputs))
    # as MMEngine 0.10.7 prints it for this model
    assert arch.startswith("N/A indicates a possibly missing statistic")
    assert "MiscOps(\n  #params: 0.33K, #flops: 45.44K, #acts: 2.98K\n" in arch
    assert (
        "  (gconv): Conv2d(\n"
        "    4, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=2\n"
        "    #params: 0.15K, #flops: 28.8K, #acts: 1.6K\n"
        "  )"
    ) in arch
    assert (
        "(unused): Linear(\n    in_features=3, out_features=3, bias=True\n    #params: 12, #flops: N/A, #acts: N/A\n  )"
        in arch
    )
    assert "(ident): Identity(#params: 0, #flops: N/A, #acts: N/A)" in arch


def test_a_module_with_nothing_to_count_has_no_numbers_in_the_arch() -> None:
    model, inputs = make_case("mlp")
    arch = get_model_complexity_info(model, inputs=inputs, show_table=False)["out_arch"]
    assert "(act): ReLU()" in arch and "(drop): Dropout(p=0.1, inplace=False)" in arch
    assert "#params: 2.11K, #flops: 8.19K, #acts: 0.26K" in arch  # fc1, as MMEngine


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "needs input_shape or inputs"),
        ({"input_shape": (4,), "inputs": (torch.randn(1, 4),)}, "got both input_shape and inputs"),
        ({"input_shape": (4, "a")}, r"input_shape=\(4, 'a'\) is not a shape"),
        ({"input_shape": ()}, r"input_shape=\(\) is not a shape"),
    ],
)
def test_bad_input_arguments_are_value_errors_naming_them(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        get_model_complexity_info(nn.Linear(4, 2), **kwargs)


def test_a_list_shape_is_accepted() -> None:
    # MMEngine accepts tuples only (a list raised ValueError there)
    assert (
        get_model_complexity_info(nn.Linear(4, 2), input_shape=[4], show_table=False)["flops"] == 8
    )


def test_a_model_without_parameters_gets_a_cpu_input() -> None:
    info = get_model_complexity_info(nn.Upsample(scale_factor=2), input_shape=(1, 2, 2))
    assert info["flops"] == 16 and info["params"] == 0


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (100, "100"), (101, "0.101K"), (1302144, "1.302M"), (45440.0, "45.44K"),
     (3.2e9, "3.2G"), (1.5e12, "1.5T"), (2e15, "2P"), (768.0, "0.768K"), (48, "48")],
)  # fmt: skip
def test_format_size_as_mmengine(value: float, text: str) -> None:
    assert format_size(value) == text


def test_the_model_runs_once_for_flops_and_activations() -> None:
    class Counting(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 2)
            self.calls = 0

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.calls += 1
            return self.fc(x)

    model = Counting()
    info = get_model_complexity_info(model, input_shape=(4,))
    assert (info["flops"], info["activations"], model.calls) == (8, 2, 1)


def test_format_size_keeps_mmengine_private_name() -> None:
    # mmdet/mmseg/mmyolo get_flops.py: from mmengine.analysis.print_helper import _format_size
    from runner_core.analysis.print_helper import _format_size

    assert _format_size(int(3002880.0)) == "3.003M" and _format_size(12599) == "12.599K"


def test_tables_end_with_a_newline_as_mmengine() -> None:
    # MMEngine 0.10.7 prints its rich tables with a final newline: print(out_table) in
    # get_flops.py leaves a blank line after the table there, and here too
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    table = get_model_complexity_info(model, input_shape=(3, 8, 8), show_arch=False)["out_table"]
    assert table.startswith("\n+") and table.endswith("+\n") and not table.endswith("\n\n")
    flops = FlopAnalyzer(model, torch.randn(1, 3, 8, 8))
    assert complexity_stats_table(flops, show_param_shapes=False).endswith("-+\n")
