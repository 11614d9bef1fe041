"""BaseTTAModel is a BaseModel, as MMEngine's: what code written for models finds on it."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from runner_core.model import BaseDataPreprocessor, BaseModel, BaseTTAModel
from runner_core.model.tta import TTABatchError
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


def test_weights_saved_by_mmengines_tta_model_load_with_their_module_prefix() -> None:
    """MMEngine's BaseTTAModel.state_dict() names the weights 'module.fc.weight'; ours the
    wrapped model's way. Both layouts load; a wrapped model whose own keys start with
    'module.' keeps them."""
    source = MeanTTA(module=Inner())
    source.init_weights()
    tta = MeanTTA(module=Inner())
    tta.load_state_dict({f"module.{k}": v for k, v in source.state_dict().items()})
    assert tta.module.fc.weight.tolist() == [[0.5, 0.5]]

    class Holder(BaseModel):
        def __init__(self) -> None:
            super().__init__()
            self.module = nn.Linear(2, 1)

        def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
            return self.module(inputs)

    wrapped = MeanTTA(module=Holder())
    weights = {k: torch.full_like(v, 2.0) for k, v in wrapped.state_dict().items()}
    assert list(weights) == ["module.weight", "module.bias"]
    wrapped.load_state_dict(weights)
    assert wrapped.module.module.weight.tolist() == [[2.0, 2.0]]


def test_a_data_preprocessor_goes_to_the_wrapped_models_config() -> None:
    MODELS.register_module(module=Inner, name="InnerForTTA", force=True)
    try:
        pre = BaseDataPreprocessor()
        tta = MeanTTA(module=dict(type="InnerForTTA"), data_preprocessor=pre)
        assert tta.module.data_preprocessor is pre
    finally:
        MODELS.module_dict.pop("InnerForTTA")


class DictOutputs(BaseModel):
    """Returns the batch as a dict, as a plain module's adapter does: {'pred': (B, C), ...}."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
        logits = self.fc(inputs).detach()
        return {"pred": logits, "gt": torch.arange(len(inputs))} if mode == "predict" else logits


class MeanOfDicts(BaseTTAModel):
    def merge_preds(self, data_samples_list: list[list[Any]]) -> list[Any]:
        return [
            {"pred": sum(v["pred"] for v in views) / len(views), "gt": views[0]["gt"]}
            for views in data_samples_list
        ]


def test_dict_predictions_are_merged_per_sample_not_per_key() -> None:
    """Zipping the views' {'pred', 'gt'} dicts gave merge_preds the key names, 2 'samples'
    for any batch, and the test scored nothing it should have (QA)."""
    tta = MeanOfDicts(module=DictOutputs())
    views = [torch.randn(3, 2), torch.randn(3, 2)]  # two views of a batch of 3
    merged = tta.test_step({"inputs": views})
    assert len(merged) == 3 and [int(m["gt"]) for m in merged] == [0, 1, 2]
    expected = (tta.module.fc(views[0]) + tta.module.fc(views[1])).detach() / 2
    assert torch.allclose(torch.stack([m["pred"] for m in merged]), expected)

    class Unbatched(DictOutputs):  # one batch-wide value only: no samples to split
        def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
            return {"score": 0.5} if mode == "predict" else inputs

    with pytest.raises(TTABatchError, match="without one batch size"):
        MeanOfDicts(module=Unbatched()).test_step({"inputs": views})


def test_a_batch_from_the_plain_pipeline_is_refused_naming_the_field() -> None:
    """MMEngine indexes a batched tensor as views (wrong data) or fails with an IndexError."""
    from runner_core.model.tta import TTABatchError
    from runner_core.structures import BaseDataElement

    tta = MeanTTA(module=Inner())
    with pytest.raises(TypeError, match="'inputs' is a Tensor.*tta_pipeline"):
        tta.test_step({"inputs": torch.ones(2, 2)})  # batch_size 2, no views
    with pytest.raises(IndexError, match="'data_samples' has 1 views and 'inputs' has 2"):
        tta.test_step({"inputs": [torch.ones(1, 2)] * 2, "data_samples": [[None]]})
    plain = {"inputs": [torch.ones(2)] * 2, "data_samples": [BaseDataElement()] * 2}
    with pytest.raises(TTABatchError, match="one data element per sample"):
        tta.val_step(plain)  # pseudo_collate of the plain pipeline
    with pytest.raises(TTABatchError, match="without views"):
        tta.test_step({})


def test_errors_are_the_ones_mmengine_raises() -> None:
    from runner_core import Config
    from runner_core.model import apply_tta

    with pytest.raises(AssertionError, match="test_step"):  # MMEngine asserts
        MeanTTA(module=nn.Linear(2, 1))
    with pytest.raises(TypeError, match="test_step"):  # neither a dict nor a module
        MeanTTA(module="Inner")
    with pytest.raises(AssertionError, match="tta_model"):  # build_runner_with_tta asserts
        apply_tta(Config(dict(model=dict(type="InnerForTTA"))))


def test_apply_tta_gives_the_val_loader_the_tta_pipeline_too() -> None:
    """The model is the TTA model in val() too (runner-cli val --tta): it needs views there."""
    from runner_core import Config
    from runner_core.model import apply_tta

    loader = dict(dataset=dict(type="D", pipeline=[dict(type="Plain")]), batch_size=2)
    cfg = Config(
        dict(
            model=dict(type="InnerForTTA"),
            val_dataloader=loader,
            test_dataloader=loader,
            tta_model=dict(type="MeanTTA"),
            tta_pipeline=[dict(type="Views")],
        )
    )
    apply_tta(cfg)
    assert cfg.val_dataloader.dataset.pipeline == [dict(type="Views")]
    assert cfg.test_dataloader.dataset.pipeline == [dict(type="Views")]
    only_val = Config(
        dict(model={}, val_dataloader=loader, tta_model=dict(type="M"), tta_pipeline=[])
    )
    assert apply_tta(only_val).val_dataloader.dataset.pipeline == []
