"""``runner-cli analyze``: parameters, FLOPs and activation memory of the tiny task's model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner_cli.main import main

from .conftest import HERE, TINY_CONFIG


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.py").write_text(TINY_CONFIG)
    return tmp_path / "tiny.py"


def test_counts_of_a_linear_model_on_a_real_batch(tiny: Path, capsys) -> None:
    assert main(["analyze", str(tiny), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    # TinyNet is Linear(4, 2): 4*2 weights + 2 biases
    assert report["params"] == report["trainable"] == 10
    assert report["param_bytes"] == 40
    # one multiply-add per weight, counted as 2 FLOPs by torch's counter
    assert report["flops_per_sample"] == 2 * 4 * 2
    # MMEngine's get_model_complexity_info counts the multiply-add once
    assert report["flops_mmengine_per_sample"] == 4 * 2
    # the layer's output: 2 float32 values per sample, 2 activations as MMEngine counts them
    assert report["activation_bytes_per_sample"] == 8
    assert report["activations_per_sample"] == 2
    assert report["batch_size"] == 16 and report["measured_on"] == "one batch of val_dataloader"
    by_name = {m["module"]: m for m in report["modules"]}
    assert by_name["fc"]["params"] == 10 and by_name["fc"]["flops"] == 16
    assert by_name["fc"]["flops_mmengine"] == 8
    assert by_name["(model)"]["type"] == "TinyNet"


def test_input_shape_and_table_output(tiny: Path, capsys) -> None:
    assert main(["analyze", str(tiny), "--input-shape", "4"]) == 0
    out = capsys.readouterr().out
    assert "fc\tLinear\t10\t10\t16\t8\n" in out  # a pipe gets tab-separated rows, named
    assert out.startswith("module\ttype\tparams\ttrainable\tFLOPs/sample\tMMEngine FLOPs/sample\n")
    assert "FLOPs per sample: 16" in out and "a random input of shape (4,)" in out
    assert "FLOPs per sample (MMEngine, 1 per multiply-add): 8\n" in out
    assert "activations per sample (MMEngine): 2\n" in out


CONV_TASK = """
import torch
from torch import nn
from runner_core import BaseModel
from runner_core.registry import MODELS


@MODELS.register_module(force=True)
class ConvBN(BaseModel):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.head = nn.Linear(8, 2)

    def forward(self, inputs, data_samples=None, mode="tensor"):
        x = self.bn(self.conv(inputs)).relu()
        return self.head(x.mean((2, 3)))
"""


def test_mmengine_flops_count_norms_and_list_uncounted_operators(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "conv_task.py").write_text(CONV_TASK)
    (tmp_path / "c.py").write_text(
        "custom_imports = dict(imports=['conv_task'])\nmodel = dict(type='ConvBN')\n"
    )
    assert main(["analyze", "c.py", "--input-shape", "3", "8", "8", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    conv, bn, head = 8 * 3 * 3 * 3 * 8 * 8, 2 * 8 * 8 * 8, 8 * 2  # multiply-adds; BN in eval: 2
    # torch's counter: 2 per multiply-add, matrix products and convolutions only
    assert report["flops_per_sample"] == 2 * (conv + head)
    # MMEngine 0.10.7's get_model_complexity_info on this model and input: 1 per multiply-add,
    # batch norm too; conv and linear outputs are the activations
    assert report["flops_mmengine_per_sample"] == conv + bn + head == 14864
    assert report["activations_per_sample"] == 8 * 8 * 8 + 2
    assert report["uncounted_ops"] == {"aten::mean": 1}  # relu costs nothing, as in MMEngine
    by_name = {m["module"]: m for m in report["modules"]}
    assert by_name["bn"]["flops"] == 0 and by_name["bn"]["flops_mmengine"] == bn


def test_a_config_without_a_model_is_an_input_error(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.py").write_text("train_cfg = dict(max_epochs=1)\n")
    assert main(["analyze", "c.py"]) == 2
    assert "no model=dict(type=...)" in capsys.readouterr().err


def test_an_input_shape_the_model_cannot_take_is_an_input_error(tiny: Path, capsys) -> None:
    assert main(["analyze", str(tiny), "--input-shape", "5"]) == 2  # Linear(4, 2)
    err = capsys.readouterr().err
    assert "--input-shape" in err and "(5,)" in err and "Traceback" not in err
