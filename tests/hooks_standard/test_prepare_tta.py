"""PrepareTTAHook wraps the model once, however often runner.test() runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from runner_core import BaseModel, Runner
from runner_core.model import BaseTTAModel
from runner_core.registry import MODELS
from runner_hooks_standard import PrepareTTAHook


class Doubler(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(2.0))

    def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
        return list((self.scale * inputs).detach())


class MeanViews(BaseTTAModel):
    def merge_preds(self, data_samples_list: list[list[Any]]) -> list[Any]:
        return [float(sum(views) / len(views)) for views in data_samples_list]


class Views(torch.utils.data.Dataset):
    def __len__(self) -> int:
        return 2

    def __getitem__(self, i: int) -> dict:
        x = torch.tensor(float(i + 1))
        return {"inputs": [x, 3 * x]}  # two augmented views


class Collect:
    def __init__(self) -> None:
        self.preds: list[float] = []

    def process(self, data_samples: Any, data_batch: Any = None) -> None:
        self.preds.extend(data_samples)

    def evaluate(self, size: int) -> dict:
        preds, self.preds = self.preds, []
        return {"preds": preds}


@pytest.fixture
def registered() -> Any:
    MODELS.register_module(module=MeanViews, name="MeanViewsForHook", force=True)
    yield
    MODELS.module_dict.pop("MeanViewsForHook")


def test_a_second_test_run_does_not_wrap_the_tta_model_again(
    registered: Any, tmp_path: Path
) -> None:
    """MMEngine's hook wraps the TTA model in another one: the second test() splits views twice."""
    runner = Runner(
        model=Doubler(),
        work_dir=str(tmp_path),
        test_dataloader=dict(dataset=Views(), batch_size=2),
        test_evaluator=Collect(),
        test_cfg=dict(),
        custom_hooks=[PrepareTTAHook(tta_cfg=dict(type="MeanViewsForHook"))],
    )
    first = runner.test()["preds"]
    assert first == pytest.approx([4.0, 8.0])  # 2 * (x + 3x) / 2
    assert runner.test()["preds"] == pytest.approx(first)
    assert isinstance(runner.model, MeanViews) and isinstance(runner.model.module, Doubler)


class PipelineViews(Views):
    """Views whose pipeline config is kept, to see which one the test dataset got."""

    def __init__(self, pipeline: Any = None) -> None:
        self.pipeline = pipeline


def test_build_runner_with_tta_tests_with_the_tta_pipeline_and_model(
    registered: Any, tmp_path: Path
) -> None:
    from runner_core.config import Config
    from runner_core.errors import ConfigAssertionError
    from runner_hooks_standard import build_runner_with_tta

    MODELS.register_module(module=Doubler, name="DoublerForTTA", force=True)
    from runner_core.registry import DATASETS

    DATASETS.register_module(module=PipelineViews, name="PipelineViews", force=True)
    try:
        cfg = Config(
            dict(
                model=dict(type="DoublerForTTA"),
                work_dir=str(tmp_path),
                test_dataloader=dict(
                    dataset=dict(type="PipelineViews", pipeline=[dict(type="Plain")]),
                    batch_size=2,
                ),
                test_evaluator=Collect(),
                test_cfg=dict(),
                tta_model=dict(type="MeanViewsForHook"),
                tta_pipeline=[dict(type="TwoViews")],
            )
        )
        runner = build_runner_with_tta(cfg)
        assert runner.test()["preds"] == pytest.approx([4.0, 8.0])
        assert isinstance(runner.model, MeanViews)
        assert runner.test_dataloader.dataset.pipeline == [{"type": "TwoViews"}]
        del cfg["tta_pipeline"]
        with pytest.raises(ConfigAssertionError, match="no tta_pipeline"):
            build_runner_with_tta(cfg)
    finally:
        MODELS.module_dict.pop("DoublerForTTA", None)
        DATASETS.module_dict.pop("PipelineViews", None)
