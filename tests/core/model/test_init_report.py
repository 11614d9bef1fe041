"""The report of which initializer set each parameter, written to the run's log file."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from runner_core.logging import get_logger
from runner_core.model import BaseModule


class _Child(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def init_weights(self) -> None:
        nn.init.constant_(self.fc.weight, 0.5)


class _Model(BaseModule):
    def __init__(self) -> None:
        super().__init__(init_cfg=[dict(type="Kaiming", layer="Linear")])
        self.a = nn.Linear(4, 4)
        self.child = _Child()
        self.norm = nn.LayerNorm(4)


def test_the_log_file_says_how_each_parameter_started(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    get_logger("init_report_test", log_file=log)
    model = _Model()
    model.init_weights()
    text = log.read_text()
    assert text.startswith("Name of parameter - Initialization information\n")
    kaiming = "KaimingInit: a=0, mode=fan_out, nonlinearity=relu, distribution =normal, bias=0"
    assert f"\na.weight - torch.Size([4, 4]): \n{kaiming} \n" in text
    assert f"\nchild.fc.bias - torch.Size([4]): \n{kaiming} \n" in text
    child = "Initialized by user-defined `init_weights` in _Child "
    assert f"\nchild.fc.weight - torch.Size([4, 4]): \n{child} \n" in text
    same = "The value is the same before and after calling `init_weights` of _Model "
    assert f"\nnorm.weight - torch.Size([4]): \n{same} \n" in text
    # the bookkeeping is gone afterwards, from every submodule
    assert not any(hasattr(m, "_params_init_info") for m in model.modules())


def test_the_bookkeeping_is_removed_when_initialising_fails(tmp_path: Path) -> None:
    get_logger("init_report_fail", log_file=tmp_path / "run.log")
    model = _Model()
    model.init_cfg = [dict(type="Pretrained", checkpoint=str(tmp_path / "missing.pth"))]
    with pytest.raises(FileNotFoundError):
        model.init_weights()
    assert not any(hasattr(m, "_params_init_info") for m in model.modules())
    # no report: it would read as a finished init, silent on the pretrained file that failed
    assert "Initialization information" not in (tmp_path / "run.log").read_text()


def test_a_model_on_the_meta_device_initialises_without_a_report() -> None:
    with torch.device("meta"):
        model = _Model()
    model.init_cfg = None
    model.init_weights()
    assert model.is_init
