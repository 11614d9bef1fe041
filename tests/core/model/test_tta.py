"""BaseTTAModel is a BaseModel, as MMEngine's: what code written for models finds on it."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from runner_core.model import BaseDataPreprocessor, BaseModel, BaseTTAModel
from runner_core.registry import MODELS


class Inner(BaseModel):
    def __init__(self, data_preprocessor: Any = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor,
            init_cfg=dict(type="Constant", layer="Linear", val=0.5, bias=0.25),
        )
        self.fc = nn.Linear(2, 1)

    def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
        return list(self.fc(inputs).detach()) if mode == "predict" else self.fc(inputs)


class MeanTTA(BaseTTAModel):
    def merge_preds(self, data_samples_list: list[list[Any]]) -> list[Any]:
        return [sum(views) / len(views) for views in data_samples_list]


def test_a_tta_model_is_a_base_model_and_initialises_the_wrapped_one() -> None:
    tta = MeanTTA(module=Inner())
    assert isinstance(tta, BaseModel)
    total, log_vars = tta.parse_losses({"loss_a": torch.tensor(1.0), "loss_b": torch.tensor(2.0)})
    assert float(total) == 3.0 and list(log_vars) == ["loss", "loss_a", "loss_b"]
    tta.init_weights()
    assert tta.module.fc.weight.tolist() == [[0.5, 0.5]] and tta.module.fc.bias.tolist() == [0.25]
    batch = {"inputs": [torch.ones(1, 2), torch.zeros(1, 2)]}  # two views of one sample
    assert [round(float(p), 4) for p in tta.test_step(batch)] == [0.75]  # (1.25 + 0.25) / 2
    assert list(tta.state_dict()) == ["fc.weight", "fc.bias"]  # the wrapped model's weights
    with pytest.raises(NotImplementedError, match="test_step"):
        tta(torch.ones(1, 2))


def test_a_data_preprocessor_goes_to_the_wrapped_models_config() -> None:
    MODELS.register_module(module=Inner, name="InnerForTTA", force=True)
    try:
        pre = BaseDataPreprocessor()
        tta = MeanTTA(module=dict(type="InnerForTTA"), data_preprocessor=pre)
        assert tta.module.data_preprocessor is pre
    finally:
        MODELS.module_dict.pop("InnerForTTA")
