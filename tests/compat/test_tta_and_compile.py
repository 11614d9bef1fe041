"""Test-time augmentation (tta_model / tta_pipeline) and compile=..., as MMEngine configures them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from runner_core import BaseModel, Config, Runner
from runner_core.dataset import BaseDataset
from runner_core.evaluator import BaseMetric
from runner_core.model import BaseTTAModel, apply_tta
from runner_core.registry import DATASETS, METRICS, MODELS, TRANSFORMS


@MODELS.register_module(force=True)
class ScalerForCompat(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(1, 1)

    def forward(self, inputs: torch.Tensor, target: Any = None, mode: str = "tensor") -> Any:
        out = self.fc(inputs).squeeze(-1)
        if mode == "loss":
            return {"loss": ((out - target) ** 2).mean()}
        return list(out.detach()) if mode == "predict" else out


@MODELS.register_module(force=True)
class MeanTTAForCompat(BaseTTAModel):
    def merge_preds(self, data_samples_list: list[list[Any]]) -> list[Any]:
        return [sum(views) / len(views) for views in data_samples_list]


@TRANSFORMS.register_module(force=True)
class TwoViewsForCompat:
    def __call__(self, results: dict) -> dict:
        x = torch.tensor([float(results["x"])])
        return {"inputs": [x, 3 * x]}


@TRANSFORMS.register_module(force=True)
class OneViewForCompat:
    def __call__(self, results: dict) -> dict:
        return {"inputs": torch.tensor([float(results["x"])])}


@DATASETS.register_module(force=True)
class NumbersForCompat(BaseDataset):
    def load_data_list(self) -> list[dict]:
        return [{"x": i} for i in range(1, 5)]


@METRICS.register_module(force=True)
class CollectForCompat(BaseMetric):
    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.extend(float(p) for p in data_samples)

    def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
        return {"preds": results}


def _cfg(work_dir: Path) -> dict:
    return dict(
        model=dict(type="ScalerForCompat"),
        work_dir=str(work_dir),
        test_dataloader=dict(
            dataset=dict(type="NumbersForCompat", pipeline=[dict(type="OneViewForCompat")]),
            batch_size=2,
        ),
        test_evaluator=dict(type="CollectForCompat"),
        test_cfg=dict(),
        tta_model=dict(type="MeanTTAForCompat"),
        tta_pipeline=[dict(type="TwoViewsForCompat")],
    )


def _checkpoint(path: Path) -> ScalerForCompat:
    torch.manual_seed(0)
    model = ScalerForCompat()
    torch.save({"state_dict": model.state_dict(), "meta": {}}, path)
    return model


def test_tta_averages_the_views_with_the_plain_model_weights(tmp_path: Path) -> None:
    model = _checkpoint(tmp_path / "plain.pth")
    cfg = Config(_cfg(tmp_path / "work"))
    apply_tta(cfg)
    cfg.load_from = str(tmp_path / "plain.pth")
    runner = Runner.from_cfg(cfg)
    assert isinstance(runner.model, MeanTTAForCompat)
    preds = runner.test()["preds"]
    w, b = model.fc.weight.item(), model.fc.bias.item()
    assert preds == pytest.approx([(w * x + b + w * 3 * x + b) / 2 for x in range(1, 5)])


def test_prepare_tta_hook_wraps_the_model_before_testing(tmp_path: Path) -> None:
    """MMEngine's PrepareTTAHook: custom_hooks wrap the model in tta_cfg's model at before_test."""
    model = _checkpoint(tmp_path / "plain.pth")
    cfg = _cfg(tmp_path / "work")
    cfg.pop("tta_model")
    cfg["test_dataloader"]["dataset"]["pipeline"] = cfg.pop("tta_pipeline")
    runner = Runner(
        **cfg,
        load_from=str(tmp_path / "plain.pth"),
        custom_hooks=[dict(type="PrepareTTAHook", tta_cfg=dict(type="MeanTTAForCompat"))],
    )
    assert isinstance(runner.model, ScalerForCompat)
    preds = runner.test()["preds"]
    assert isinstance(runner.model, MeanTTAForCompat) and runner.model.module is not None
    w, b = model.fc.weight.item(), model.fc.bias.item()
    assert preds == pytest.approx([(w * x + b + w * 3 * x + b) / 2 for x in range(1, 5)])


def test_tta_model_state_dict_is_the_wrapped_model(tmp_path: Path) -> None:
    model = _checkpoint(tmp_path / "plain.pth")
    tta = MeanTTAForCompat(module=dict(type="ScalerForCompat"))
    tta.load_state_dict(model.state_dict())
    assert set(tta.state_dict()) == {"fc.weight", "fc.bias"}
    assert torch.equal(tta.module.fc.weight, model.fc.weight)


def test_apply_tta_needs_a_tta_model() -> None:
    cfg = Config(dict(model=dict(type="ScalerForCompat")))
    with pytest.raises(ValueError, match="tta_model"):
        apply_tta(cfg)


@pytest.mark.slow
def test_cli_test_with_tta(tmp_path: Path) -> None:
    model = _checkpoint(tmp_path / "plain.pth")
    config = tmp_path / "cfg.py"
    config.write_text(
        textwrap.dedent(
            f"""
            custom_imports = dict(imports=['tta_parts_for_compat'])
            model = dict(type='ScalerForCompat')
            work_dir = {str(tmp_path / "work")!r}
            test_dataloader = dict(
                dataset=dict(type='NumbersForCompat', pipeline=[dict(type='OneViewForCompat')]),
                batch_size=2)
            test_evaluator = dict(type='CollectForCompat')
            test_cfg = dict()
            tta_model = dict(type='MeanTTAForCompat')
            tta_pipeline = [dict(type='TwoViewsForCompat')]
            """
        )
    )
    (tmp_path / "tta_parts_for_compat.py").write_text(Path(__file__).read_text())
    out = tmp_path / "metrics.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "runner_cli",
            "test",
            str(config),
            str(tmp_path / "plain.pth"),
            "--tta",
            "--out",
            str(out),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "PYTHONPATH": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    import json

    w, b = model.fc.weight.item(), model.fc.bias.item()
    assert json.loads(out.read_text())["preds"][0] == pytest.approx(2 * w + b)


def _train_cfg(tmp_path: Path, compile_value: Any) -> dict:
    return dict(
        model=dict(type="ScalerForCompat"),
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=[
                {"inputs": torch.tensor([float(i)]), "target": torch.tensor(2.0 * i)}
                for i in range(4)
            ],
            batch_size=2,
        ),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01)),
        compile=compile_value,
    )


def test_compile_dict_compiles_train_step_with_its_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict] = []
    real = torch.compile

    def spy(fn: Any, **kwargs: Any) -> Any:
        seen.append(kwargs)
        return real(fn, **kwargs)

    monkeypatch.setattr(torch, "compile", spy)
    runner = Runner.from_cfg(_train_cfg(tmp_path, dict(backend="eager", dynamic=False)))
    runner.train()
    assert seen == [dict(backend="eager", dynamic=False)]
    assert "train_step" in vars(runner.model)  # the compiled step replaced the method


def test_compile_true_uses_torch_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict] = []
    monkeypatch.setattr(torch, "compile", lambda fn, **kw: seen.append(kw) or fn)
    Runner.from_cfg(_train_cfg(tmp_path, True)).train()
    assert seen == [{}]


def test_compile_with_an_unknown_option_is_refused_at_build(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="backnd"):
        Runner.from_cfg(_train_cfg(tmp_path, dict(backnd="eager")))
