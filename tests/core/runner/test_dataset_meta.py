"""The dataset's ``metainfo`` reaches the metrics and the checkpoints, as in MMEngine.

Downstream metrics read class names from ``self.dataset_meta`` and tools read
them from a checkpoint's ``meta['dataset_meta']``.
"""

from __future__ import annotations

from typing import Any

import torch
from digits import DigitsForTests, digits_cfg

from runner_core import Config, Runner
from runner_core.evaluator.metric import BaseMetric
from runner_core.registry import DATASETS, METRICS

CLASSES = tuple(str(d) for d in range(10))


@DATASETS.register_module(force=True)
class DigitsWithClasses(DigitsForTests):
    def __init__(self, split: str = "train", classes: tuple[str, ...] = CLASSES) -> None:
        super().__init__(split)
        self._classes = classes

    @property
    def metainfo(self) -> dict[str, Any]:
        return {"classes": self._classes}


@DATASETS.register_module(force=True)
class DigitsWithPalette(DigitsWithClasses):
    """mmdet's and mmseg's datasets give a numpy palette, saved as a tensor."""

    def __init__(self, split: str = "train", red: int = 255) -> None:
        super().__init__(split)
        self.red = red

    @property
    def metainfo(self) -> dict[str, Any]:
        import numpy as np

        palette = np.array([[0, 0, 0]] * 9 + [[self.red, 0, 0]], dtype=np.uint8)
        return {"classes": self._classes, "palette": palette}


@METRICS.register_module(force=True)
class ClassNamesSeen(BaseMetric):
    """Reports how many class names its ``dataset_meta`` holds."""

    default_prefix = "meta"
    seen: list[Any] = []

    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.append(1)

    def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
        ClassNamesSeen.seen.append(self.dataset_meta)
        return {"classes": len(self.dataset_meta["classes"])}


def _cfg(tmp_path, classes: tuple[str, ...] = CLASSES, **overrides: Any) -> dict[str, Any]:
    cfg = digits_cfg(str(tmp_path), train_cfg=dict(by_epoch=True, max_epochs=1), **overrides)
    cfg["train_dataloader"]["dataset"] = dict(type="DigitsWithClasses", classes=classes)
    cfg["train_dataloader"]["batch_size"] = 720
    cfg["val_dataloader"]["dataset"] = dict(type="DigitsWithClasses", split="val")
    cfg["val_evaluator"] = dict(type="ClassNamesSeen")
    return cfg


def test_metrics_and_checkpoints_get_the_dataset_meta(tmp_path) -> None:
    ClassNamesSeen.seen.clear()
    runner = Runner.from_cfg(Config(_cfg(tmp_path)))
    runner.train()
    assert runner.val() == {"meta/classes": 10}
    assert ClassNamesSeen.seen == [{"classes": CLASSES}] * 2  # in training and in val()
    assert runner.visualizer.dataset_meta == {"classes": CLASSES}
    ckpt = torch.load(tmp_path / "epoch_1.pth", weights_only=True)
    assert ckpt["meta"]["dataset_meta"] == {"classes": CLASSES}


@METRICS.register_module(force=True)
class RenamesClasses(BaseMetric):
    """Scores coarse classes and renames them in its ``dataset_meta``, as downstream
    hierarchical segmentation metrics do."""

    default_prefix = "coarse"

    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.dataset_meta["classes"] = ("background", "object")
        self.results.append(1)

    def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
        return {"classes": len(self.dataset_meta["classes"])}


def test_a_metric_renaming_its_classes_leaves_the_visualizers_alone(tmp_path) -> None:
    """Both got one dict, so the visualizer drew with the metric's names (MMEngine reads
    the dataset's metainfo once for each)."""
    cfg = _cfg(tmp_path)
    cfg["val_evaluator"] = dict(type="RenamesClasses")
    runner = Runner.from_cfg(Config(cfg))
    assert runner.val() == {"coarse/classes": 2}
    assert runner.visualizer.dataset_meta == {"classes": CLASSES}


def test_resume_with_other_classes_warns(tmp_path, capsys) -> None:
    Runner.from_cfg(Config(_cfg(tmp_path))).train()
    capsys.readouterr()
    other = tuple(f"digit {d}" for d in range(10))
    cfg = _cfg(tmp_path, classes=other, resume=True)
    cfg["train_cfg"]["max_epochs"] = 2
    Runner.from_cfg(Config(cfg)).train()
    assert "dataset metainfo of" in capsys.readouterr().out


def test_resume_with_a_numpy_palette_compares_it_as_data(tmp_path, capsys) -> None:
    """The resume compared the saved metainfo (a tensor palette) with the dataset's (a
    numpy one) by ``!=``: "Boolean value of Tensor ... is ambiguous", where MMEngine
    resumes. The same palette is no difference; another one is warned about."""
    cfg = _cfg(tmp_path)
    cfg["train_dataloader"]["dataset"] = dict(type="DigitsWithPalette")
    Runner.from_cfg(Config(cfg)).train()
    for red, warned in ((255, False), (128, True)):
        capsys.readouterr()
        again = _cfg(tmp_path, resume=True)
        again["train_dataloader"]["dataset"] = dict(type="DigitsWithPalette", red=red)
        again["train_cfg"]["max_epochs"] += 1
        runner = Runner.from_cfg(Config(again))
        runner.train()
        assert ("dataset metainfo of" in capsys.readouterr().out) is warned
        assert runner.epoch == again["train_cfg"]["max_epochs"]


def test_a_numpy_palette_saved_as_an_array_is_the_same_as_one_saved_as_a_tensor() -> None:
    """MMEngine's checkpoints keep the array (ours a tensor): resuming one of them with
    an unchanged dataset said "differs" (review)."""
    import numpy as np

    from runner_core.checkpoint.plain_data import same_data

    palette = np.array([[0, 0, 0], [255, 0, 0]], dtype=np.uint8)
    current = {"classes": ("a", "b"), "palette": palette}
    assert same_data({"classes": ("a", "b"), "palette": palette.copy()}, current)
    assert same_data({"classes": ("a", "b"), "palette": torch.from_numpy(palette)}, current)
    assert not same_data({"classes": ("a", "b"), "palette": palette[:1]}, current)
    assert not same_data({"classes": ("a", "c"), "palette": palette}, current)
