"""Hooks and loops of OpenMMLab libraries, in small, on the API they use.

Each test restates what one downstream hook or loop does (mmdet, mmyolo, mmpretrain,
mmseg, mmpose, mmagic) with the same calls into the runner: DataLoader privates to
restart persistent workers, a loader rebuilt from ``runner.cfg``, ``param_groups``
keys of a ``paramwise_cfg``, ``ParamSchedulerHook`` subclasses that skip its
``__init__``, ``EMAHook``'s swap helpers, ``ValLoop``/``TestLoop`` subclasses with a
``run()`` of their own, ``Visualizer.get_current_instance()``. The originals, run
with their imports changed, behave as under MMEngine 0.10.7 (same losses, learning
rates, metrics, files and log lines); these tests keep that so.
"""

from __future__ import annotations

import copy
import itertools
import logging
import math
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from runner_core import Config, Runner
from runner_core.dataset import BaseDataset, Compose
from runner_core.distributed import get_dist_info, get_world_size, is_distributed
from runner_core.evaluator import BaseMetric
from runner_core.fileio import get
from runner_core.hooks import Hook
from runner_core.logging import MMLogger, print_log
from runner_core.model import BaseDataPreprocessor, BaseModel, is_model_wrapper
from runner_core.registry import LOOPS, OPTIM_WRAPPERS, OPTIMIZERS
from runner_core.runner import BaseLoop, autocast
from runner_core.structures import BaseDataElement
from runner_core.utils import ProgressBar
from runner_core.visualization import Visualizer
from runner_hooks_standard import EMAHook, ParamSchedulerHook
from runner_loops_standard import EpochBasedTrainLoop, ValLoop
from runner_loops_standard import TestLoop as _TestLoop  # not collected as a test class

# -- a detector-like world: a BaseDataset with a pipeline, a model with a head ---------------


class _Scale:
    def __init__(self, factor: float) -> None:
        self.factor = factor

    def __call__(self, results: dict) -> dict:
        results["inputs"] = results["inputs"] * self.factor
        return results


class _Mosaic:  # the augmentation a mode switch turns off: shifts the inputs by one
    def __call__(self, results: dict) -> dict:
        results["inputs"] = results["inputs"] + 1.0
        return results


class _Pack:
    def __call__(self, results: dict) -> dict:
        sample = BaseDataElement(metainfo=dict(img_path=results["img_path"]))
        sample.gt_label = torch.tensor(results["label"])
        return dict(inputs=results["inputs"], label=results["label"], data_samples=sample)


class _Samples(BaseDataset):
    METAINFO = dict(classes=("a", "b"))

    def __init__(self, n: int = 8, seed: int = 0, **kwargs: Any) -> None:
        self.n, self.seed = n, seed
        self.skip_type_keys: tuple = ()
        self.img_size = self.text_size = n  # mmpretrain's retrieval datasets have them
        kwargs.setdefault("pipeline", [_Pack()])
        super().__init__(**kwargs)

    def load_data_list(self) -> list[dict]:
        x = torch.randn(self.n, 4, generator=torch.Generator().manual_seed(self.seed))
        return [
            dict(inputs=x[i], label=int(x[i, 0] > 0), img_path=f"img_{i}.npy")
            for i in range(self.n)
        ]

    def update_skip_type_keys(self, keys: tuple) -> None:  # mmdet's MultiImageMixDataset
        self.skip_type_keys = tuple(keys)

    def prepare_data(self, idx: int) -> Any:
        results = copy.deepcopy(self.get_data_info(idx))
        for transform in self.pipeline.transforms:
            if type(transform).__name__ not in self.skip_type_keys:
                results = transform(results)
        return results


class _Head(nn.Module):
    def __init__(self, num_classes: int = 2) -> None:
        super().__init__()
        self.fc = nn.Linear(8, num_classes)
        self.num_classes = num_classes
        self.use_l1 = False
        self.deployed = False
        self.loss_weight = 1.0

    def switch_to_deploy(self) -> None:
        self.deployed = True


class _Net(BaseModel):
    def __init__(self, bn: bool = False, data_preprocessor: Any = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor)
        self.backbone = nn.Linear(4, 8)
        self.bn = nn.BatchNorm1d(8) if bn else nn.Identity()
        self.head = _Head()

    def feats(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.head.fc(torch.relu(self.bn(self.backbone(inputs))))

    def forward(
        self,
        inputs: torch.Tensor,
        label: Any = None,
        data_samples: Any = None,
        mode: str = "tensor",
    ) -> Any:
        logits = self.feats(inputs)
        if mode == "loss":
            loss = self.head.loss_weight * nn.functional.cross_entropy(logits, label)
            if self.head.use_l1:
                loss = loss + 0.1 * logits.abs().mean()
            return dict(loss=loss)
        if mode == "predict":
            outs = []
            for pred, sample in zip(logits.argmax(1), data_samples):
                sample = sample.clone()
                sample.pred_label = pred
                outs.append(sample)
            return outs
        return logits


class _Acc(BaseMetric):
    default_prefix = "acc"

    def process(self, data_batch: Any, data_samples: Any) -> None:
        for s in data_samples:  # the Evaluator hands data elements on as dicts
            self.results.append(float(int(s["pred_label"]) == int(s["gt_label"])))

    def compute_metrics(self, results: list) -> dict:
        return dict(top1=100.0 * sum(results) / len(results))


class _Batches(Hook):
    """Records the sum of each training batch's inputs, per epoch."""

    priority = "LOWEST"

    def __init__(self) -> None:
        self.sums: list[list[float]] = []
        self.lrs: list[list[float]] = []

    def before_train_epoch(self, runner: Any) -> None:
        self.sums.append([])

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        self.sums[-1].append(round(float(data_batch["inputs"].sum()), 4))
        self.lrs.append([g["lr"] for g in runner.optim_wrapper.optimizer.param_groups])


def _loader(n: int = 8, pipeline: Any = None, workers: int = 0, seed: int = 0) -> dict:
    cfg: dict[str, Any] = dict(
        dataset=dict(type=_Samples, n=n, seed=seed, pipeline=pipeline or [_Pack()]),
        batch_size=4,
        collate_fn=dict(type="default_collate"),
    )
    if workers:
        cfg.update(num_workers=workers, persistent_workers=True, multiprocessing_context="fork")
    return cfg


def _runner(tmp_path: Path, **kwargs: Any) -> Runner:
    cfg: dict[str, Any] = dict(
        model=dict(type=_Net),
        work_dir=str(tmp_path / "work"),
        train_dataloader=_loader(),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        default_hooks=dict(logger=dict(type="LoggerHook", interval=1), checkpoint=None),
        randomness=dict(seed=0),
    )
    for key in ("val", "test"):
        if kwargs.pop(key, False):
            cfg[f"{key}_dataloader"] = _loader(seed=1 if key == "val" else 2)
            cfg[f"{key}_evaluator"] = dict(type=_Acc)
            cfg[f"{key}_cfg"] = dict()
    # hook objects are registered on the built runner: the Config would hold copies of them
    hooks = kwargs.pop("custom_hooks", [])
    cfg["custom_hooks"] = [h for h in hooks if isinstance(h, dict)]
    cfg.update(kwargs)
    runner = Runner.from_cfg(Config(cfg))
    for hook in hooks:
        if not isinstance(hook, dict):
            runner.register_hook(hook)
    return runner


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _stop_workers(runner: Runner) -> None:
    """Shut persistent workers down now: left to garbage collection, torch waits 5 s for them
    (under MMEngine too)."""
    iterator = runner.train_dataloader._iterator
    if iterator is not None:
        iterator._shutdown_workers()


def _lines(runner: Runner) -> list[str]:
    handler = _Lines()
    runner.logger.addHandler(handler)
    return handler.lines


# -- mmdet: PipelineSwitchHook, YOLOXModeSwitchHook ------------------------------------------


class _SwitchPipeline(Hook):
    """mmdet's PipelineSwitchHook and YOLOXModeSwitchHook: change the dataset in place and
    restart persistent workers through the DataLoader's privates."""

    def __init__(self, switch_epoch: int, pipeline: list | None, skip: tuple = ()) -> None:
        self.switch_epoch, self.pipeline, self.skip = switch_epoch, pipeline, skip
        self._restart = False

    def before_train_epoch(self, runner: Any) -> None:
        loader = runner.train_dataloader
        if runner.epoch == self.switch_epoch:
            runner.logger.info("Switch pipeline now!")
            if self.pipeline is not None:
                loader.dataset.pipeline = Compose(self.pipeline)
            if self.skip:
                loader.dataset.update_skip_type_keys(self.skip)
                model = runner.model.module if is_model_wrapper(runner.model) else runner.model
                model.head.use_l1 = True
            if loader.persistent_workers is True:
                loader._DataLoader__initialized = False
                loader._iterator = None
                self._restart = True
        elif self._restart:
            loader._DataLoader__initialized = True


@pytest.mark.parametrize("workers", [0, 1])
def test_pipeline_switched_in_place_reaches_persistent_workers(
    tmp_path: Path, workers: int
) -> None:
    record = _Batches()
    runner = _runner(
        tmp_path,
        train_dataloader=_loader(pipeline=[_Scale(1.0), _Pack()], workers=workers),
        train_cfg=dict(by_epoch=True, max_epochs=3),
        custom_hooks=[_SwitchPipeline(1, [_Scale(10.0), _Pack()]), record],
    )
    lines = _lines(runner)
    runner.train()
    _stop_workers(runner)
    first = record.sums[0]
    assert record.sums[1] == record.sums[2] == [pytest.approx(10 * s, abs=1e-3) for s in first]
    assert "Switch pipeline now!" in lines
    assert runner.train_dataloader._DataLoader__initialized is True


def test_dataset_skip_keys_switched_before_an_epoch_reach_its_workers(tmp_path: Path) -> None:
    record = _Batches()
    runner = _runner(
        tmp_path,
        train_dataloader=_loader(pipeline=[_Mosaic(), _Pack()], workers=1),
        custom_hooks=[_SwitchPipeline(1, None, skip=("_Mosaic",)), record],
    )
    runner.train()
    _stop_workers(runner)
    per_batch = 4 * 4  # _Mosaic adds one to each of 4x4 inputs
    assert record.sums[1] == [pytest.approx(s - per_batch, abs=1e-3) for s in record.sums[0]]
    assert runner.model.head.use_l1


# -- mmyolo / mmpose: YOLOXModeSwitchHook rebuilds the loader from runner.cfg ----------------


class _RebuildLoader(Hook):
    """mmyolo's YOLOXModeSwitchHook, mmpose's YOLOXPoseModeSwitchHook."""

    def __init__(self, num_last_epochs: int, dataset: dict | None, pipeline: list) -> None:
        self.num_last_epochs, self.dataset, self.pipeline = num_last_epochs, dataset, pipeline

    def before_train_epoch(self, runner: Any) -> None:
        if runner.epoch + 1 == runner.max_epochs - self.num_last_epochs:
            cfg = copy.deepcopy(runner.cfg.train_dataloader)
            if self.dataset:
                cfg.dataset = self.dataset
            cfg.dataset.pipeline = self.pipeline
            runner.train_loop.dataloader = Runner.build_dataloader(cfg)
            runner.logger.info("Recreated the dataloader!")


def test_loader_rebuilt_from_the_config_replaces_the_train_loader(tmp_path: Path) -> None:
    record = _Batches()
    hook = _RebuildLoader(1, dict(type=_Samples, n=4, seed=0), [_Scale(3.0), _Pack()])
    runner = _runner(
        tmp_path,
        train_dataloader=_loader(pipeline=[_Mosaic(), _Pack()]),
        train_cfg=dict(by_epoch=True, max_epochs=3),
        custom_hooks=[hook, record],
    )
    lines = _lines(runner)
    runner.train()
    # the new dataset: the first 4 samples, scaled, without _Mosaic's +1 (16 inputs)
    assert (
        record.sums[1] == record.sums[2] == [pytest.approx(3 * (record.sums[0][0] - 16), abs=1e-3)]
    )
    assert (
        len(runner.train_dataloader) == 1
        and runner.train_dataloader is runner.train_loop.dataloader
    )
    assert "Recreated the dataloader!" in lines
    assert runner.max_iters == 6  # counted when the loop was built, as MMEngine's


# -- mmdet: MeanTeacherHook, TeacherStudentValLoop, SetEpochInfoHook --------------------------


class _Semi(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.student, self.teacher = _Net(), _Net()
        self.semi_test_cfg = dict(predict_on="teacher")
        self.epochs: list[int] = []

    def set_epoch(self, epoch: int) -> None:
        self.epochs.append(epoch)

    def forward(self, *args: Any, mode: str = "tensor", **kwargs: Any) -> Any:
        if mode == "loss":
            return self.student(*args, mode=mode, **kwargs)
        return getattr(self, self.semi_test_cfg["predict_on"])(*args, mode=mode, **kwargs)


class _MeanTeacher(Hook):
    def __init__(self, momentum: float) -> None:
        self.momentum = momentum

    def before_train(self, runner: Any) -> None:
        if runner.iter == 0:
            self.momentum_update(runner.model, 1)

    def before_train_epoch(self, runner: Any) -> None:  # mmdet's SetEpochInfoHook
        runner.model.set_epoch(runner.epoch)

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        self.momentum_update(runner.model, self.momentum)

    def momentum_update(self, model: Any, momentum: float) -> None:
        for src, dst in zip(model.student.parameters(), model.teacher.parameters()):
            dst.data.mul_(1 - momentum).add_(src.data, alpha=momentum)


class _TeacherStudentValLoop(ValLoop):
    def run(self) -> Any:  # returns nothing, as mmdet's
        self.runner.call_hook("before_val")
        self.runner.call_hook("before_val_epoch")
        self.runner.model.eval()
        model = self.runner.model
        predict_on = model.semi_test_cfg.get("predict_on")
        multi_metrics = {}
        for branch in ("teacher", "student"):
            model.semi_test_cfg["predict_on"] = branch
            for idx, data_batch in enumerate(self.dataloader):
                self.run_iter(idx, data_batch)
            metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
            multi_metrics.update({f"{branch}/{k}": v for k, v in metrics.items()})
        model.semi_test_cfg["predict_on"] = predict_on
        self.runner.call_hook("after_val_epoch", metrics=multi_metrics)
        self.runner.call_hook("after_val")


class _Metrics(Hook):
    priority = "LOWEST"

    def __init__(self) -> None:
        self.val: list[dict] = []
        self.test: list[dict] = []

    def after_val_epoch(self, runner: Any, metrics: Any = None) -> None:
        self.val.append(dict(metrics or {}))

    def after_test_epoch(self, runner: Any, metrics: Any = None) -> None:
        self.test.append(dict(metrics or {}))


def test_teacher_student_loop_metrics_feed_save_best(tmp_path: Path) -> None:
    seen = _Metrics()
    runner = _runner(
        tmp_path,
        model=dict(type=_Semi),
        val=True,
        val_cfg=dict(type=_TeacherStudentValLoop),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        default_hooks=dict(
            logger=dict(type="LoggerHook", interval=1),
            checkpoint=dict(
                type="CheckpointHook", interval=1, save_best="teacher/acc/top1", rule="greater"
            ),
        ),
        custom_hooks=[_MeanTeacher(momentum=0.5), seen],
    )
    runner.train()
    assert [sorted(m) for m in seen.val] == [["student/acc/top1", "teacher/acc/top1"]] * 2
    assert runner.model.epochs == [0, 1]
    assert runner.model.semi_test_cfg["predict_on"] == "teacher"
    assert any(
        p.name.startswith("best_teacher_acc_top1_epoch_") for p in (tmp_path / "work").iterdir()
    )
    assert runner.val() is None  # the loop's own return value


# -- mmdet: NumClassCheckHook, MemoryProfilerHook, CheckInvalidLossHook -----------------------


class _NumClassCheck(Hook):
    def before_val_epoch(self, runner: Any) -> None:
        dataset = runner.val_dataloader.dataset
        classes = dataset.metainfo.get("classes")
        if classes is None:
            runner.logger.warning(
                f"Please set `classes` in the {type(dataset).__name__} `metainfo`"
            )
            return
        for _, module in runner.model.named_modules():
            if hasattr(module, "num_classes"):
                assert module.num_classes == len(classes), (
                    f"The `num_classes` ({module.num_classes}) does not match {len(classes)} classes"
                )


class _EveryNLogger(Hook):
    def _after_iter(
        self,
        runner: Any,
        batch_idx: int,
        data_batch: Any = None,
        outputs: Any = None,
        mode: str = "train",
    ) -> None:
        if self.every_n_inner_iters(batch_idx, 2):
            runner.logger.info(f"Memory information ({mode} batch {batch_idx})")


def test_a_head_check_stops_at_validation_with_its_message(tmp_path: Path) -> None:
    three = _loader(seed=1)
    three["dataset"]["metainfo"] = dict(classes=("a", "b", "c"))
    runner = _runner(tmp_path, val=True, val_dataloader=three, custom_hooks=[_NumClassCheck()])
    with pytest.raises(AssertionError, match=r"The `num_classes` \(2\) does not match 3 classes"):
        runner.train()
    assert runner.iter == 2  # the first epoch trained, then its validation stopped the run


def test_every_n_inner_iters_logs_in_train_val_and_test(tmp_path: Path) -> None:
    runner = _runner(
        tmp_path,
        val=True,
        test=True,
        train_dataloader=_loader(n=16),
        custom_hooks=[_EveryNLogger(), _NumClassCheck()],
    )
    lines = _lines(runner)
    runner.train()
    runner.test()
    memory = [line for line in lines if line.startswith("Memory information")]
    assert memory == [
        "Memory information (train batch 1)",
        "Memory information (train batch 3)",
        "Memory information (val batch 1)",
        "Memory information (train batch 1)",
        "Memory information (train batch 3)",
        "Memory information (val batch 1)",
        "Memory information (test batch 1)",
    ]


def test_an_assert_on_the_loss_in_after_train_iter_stops_the_run(tmp_path: Path) -> None:
    class CheckLoss(Hook):  # mmdet's CheckInvalidLossHook
        def after_train_iter(
            self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
        ) -> None:
            if self.every_n_train_iters(runner, 1):
                assert outputs["loss"] < 0.0, runner.logger.info("loss become infinite or NaN!")

    runner = _runner(tmp_path, custom_hooks=[CheckLoss()])
    lines = _lines(runner)
    with pytest.raises(AssertionError):
        runner.train()
    assert "loss become infinite or NaN!" in lines and runner.iter == 0


# -- mmyolo: YOLOv5OptimizerConstructor and YOLOv5ParamSchedulerHook -------------------------


class _ThreeGroups:
    """mmyolo's YOLOv5OptimizerConstructor: weights, norm weights, biases; weight decay
    scaled to the total batch size."""

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict | None = None) -> None:
        self.optim_wrapper_cfg = optim_wrapper_cfg
        self.optimizer_cfg = self.optim_wrapper_cfg.pop("optimizer")
        self.base_total_batch_size = (paramwise_cfg or {})["base_total_batch_size"]

    def __call__(self, model: nn.Module) -> Any:
        optimizer_cfg = self.optimizer_cfg.copy()
        weight_decay = optimizer_cfg.pop("weight_decay", 0)
        total = get_world_size() * optimizer_cfg.pop("batch_size_per_gpu")
        accumulate = max(round(self.base_total_batch_size / total), 1)
        scale = total * accumulate / self.base_total_batch_size
        if scale != 1:
            weight_decay *= scale
            print_log(f"Scaled weight_decay to {weight_decay}", "current")
        groups: tuple[list, list, list] = ([], [], [])
        for m in model.modules():
            if isinstance(getattr(m, "bias", None), nn.Parameter):
                groups[2].append(m.bias)
            if isinstance(m, nn.modules.batchnorm._NormBase):
                groups[1].append(m.weight)
            elif isinstance(getattr(m, "weight", None), nn.Parameter):
                groups[0].append(m.weight)
        optimizer_cfg["params"] = [
            dict(params=groups[0], weight_decay=weight_decay),
            dict(params=groups[1]),
            dict(params=groups[2]),
        ]
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        return OPTIM_WRAPPERS.build(self.optim_wrapper_cfg, default_args=dict(optimizer=optimizer))


class _YOLOv5Schedule(ParamSchedulerHook):
    """mmyolo's YOLOv5ParamSchedulerHook: no ``super().__init__()``, an int priority, the
    learning rate and momentum of each group set per iteration."""

    priority = 9

    def __init__(self, warmup_epochs: int, warmup_min_iter: int, max_epochs: int) -> None:
        self.warmup_epochs, self.warmup_min_iter = warmup_epochs, warmup_min_iter
        self.scheduler_fn = lambda x: (1 - x / max_epochs) * (1.0 - 0.01) + 0.01
        self._warmup_end = False

    def before_train(self, runner: Any) -> None:
        groups = runner.optim_wrapper.optimizer.param_groups
        for group in groups:
            group.setdefault("initial_lr", group["lr"])
            group.setdefault("initial_momentum", group.get("momentum", -1))
        self._base_lr = [g["initial_lr"] for g in groups]
        self._base_momentum = [g["initial_momentum"] for g in groups]

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        total = max(round(self.warmup_epochs * len(runner.train_dataloader)), self.warmup_min_iter)
        if runner.iter <= total:
            for i, group in enumerate(runner.optim_wrapper.optimizer.param_groups):
                start = 0.1 if i == 2 else 0.0
                end = self._base_lr[i] * self.scheduler_fn(runner.epoch)
                group["lr"] = np.interp(runner.iter, [0, total], [start, end])
                group["momentum"] = np.interp(
                    runner.iter, [0, total], [0.8, self._base_momentum[i]]
                )
        else:
            self._warmup_end = True

    def after_train_epoch(self, runner: Any) -> None:
        if self._warmup_end:
            for i, group in enumerate(runner.optim_wrapper.optimizer.param_groups):
                group["lr"] = self._base_lr[i] * self.scheduler_fn(runner.epoch)


def _yolov5_runner(tmp_path: Path, max_epochs: int, record: _Batches, **kwargs: Any) -> Runner:
    return _runner(
        tmp_path,
        model=dict(type=_Net, bn=True),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(
            type="OptimWrapper",
            optimizer=dict(
                type="SGD",
                lr=0.01,
                momentum=0.937,
                weight_decay=0.0005,
                nesterov=True,
                batch_size_per_gpu=4,
            ),
            constructor=_ThreeGroups,
            paramwise_cfg=dict(base_total_batch_size=6),
        ),
        default_hooks=dict(
            logger=dict(type="LoggerHook", interval=1),
            checkpoint=dict(type="CheckpointHook", interval=1),
            param_scheduler=dict(
                type=_YOLOv5Schedule, warmup_epochs=1, warmup_min_iter=3, max_epochs=4
            ),
        ),
        custom_hooks=[record],
        **kwargs,
    )


def test_yolov5_groups_and_schedule_set_per_iteration_survive_a_resume(tmp_path: Path) -> None:
    whole, first, rest = _Batches(), _Batches(), _Batches()
    runner = _yolov5_runner(tmp_path / "a", 4, whole)
    lines = _lines(runner)
    runner.train()
    assert "Scaled weight_decay to 0.0006666666666666666" in lines
    groups = runner.optim_wrapper.optimizer.param_groups
    assert [g["weight_decay"] for g in groups] == [pytest.approx(0.0005 * 4 / 3), 0.0, 0.0]
    assert [len(g["params"]) for g in groups] == [2, 1, 3]
    assert whole.lrs[0] == [0.0, 0.0, 0.1]  # warm-up starts: the bias group at warmup_bias_lr
    # warm-up ends at iteration 3 (epoch 1), its value kept through epoch 2, then one per epoch
    assert (
        whole.lrs[3]
        == whole.lrs[4]
        == whole.lrs[5]
        == [pytest.approx(0.01 * (1 - 1 / 4 * 0.99))] * 3
    )
    assert whole.lrs[6] == whole.lrs[7] == [pytest.approx(0.01 * (1 - 2 / 4 * 0.99))] * 3
    assert any("lr: 0.0000e+00" in line for line in lines)  # the logged lr is the hook's
    assert get_world_size() == 1 and not is_distributed()

    _yolov5_runner(tmp_path / "b", 1, first).train()
    _yolov5_runner(tmp_path / "b", 4, rest, resume=True).train()
    assert first.lrs + rest.lrs == whole.lrs


# -- mmpretrain: EMAHook with evaluate_on_origin, load_from with EMA weights ------------------


class _PretrainEMA(EMAHook):
    """mmpretrain's EMAHook: evaluates the EMA and the original weights, and loads EMA
    weights into the model on a load_from that does not resume."""

    priority = "NORMAL"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.load_ema_from_ckpt = False

    def before_train(self, runner: Any) -> None:
        super().before_train(runner)
        if not runner._resume and self.load_ema_from_ckpt:
            MMLogger.get_current_instance().info(
                "Initialize the model parameters with EMA parameters"
            )
            for p_ema, p_src in zip(self._ema_params, self._src_params):
                p_src.data.copy_(p_ema.data)

    def before_val_epoch(self, runner: Any) -> None:
        self._swap_ema_parameters()

    def after_val_epoch(self, runner: Any, metrics: Any = None) -> None:
        self._swap_ema_parameters()
        val_loop = runner.val_loop
        runner.model.eval()
        for idx, data_batch in enumerate(val_loop.dataloader):
            val_loop.run_iter(idx, data_batch)
        origin = val_loop.evaluator.evaluate(len(val_loop.dataloader.dataset))
        for k, v in origin.items():
            runner.message_hub.update_scalar(f"val/{k}_origin", v)

    def after_load_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        ema: Any = self.ema_model  # built in before_run, before any load
        if "ema_state_dict" in checkpoint:
            self._swap_ema_state_dict(checkpoint)
            ema.load_state_dict(checkpoint["ema_state_dict"], strict=self.strict_load)
            self.load_ema_from_ckpt = True

    @property
    def _src_params(self) -> Iterator[Any]:
        ema: Any = self.ema_model
        src: Any = self.src_model
        if ema.update_buffers:
            return itertools.chain(src.parameters(), src.buffers())
        return src.parameters()

    @property
    def _ema_params(self) -> Iterator[Any]:
        ema: Any = self.ema_model
        return ema.module.parameters()


def test_ema_subclass_evaluates_both_weights_and_loads_ema_weights(tmp_path: Path) -> None:
    seen = _Metrics()
    runner = _runner(
        tmp_path,
        val=True,
        default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=1)),
        custom_hooks=[_PretrainEMA(momentum=0.5), seen],
    )
    runner.train()
    origin = runner.message_hub.log_scalars["val/acc/top1_origin"]
    assert len(origin) == 2 and len(seen.val) == 2
    # checkpoints hold CPU tensors (MMEngine's weights_to_cpu); the model may be on a GPU
    trained = {k: v.cpu().clone() for k, v in runner.model.state_dict().items()}
    ckpt = torch.load(tmp_path / "work" / "epoch_2.pth", weights_only=True)
    # saved swapped, as MMEngine saves: the average as the model, the training weights as EMA
    averaged = ckpt["state_dict"]
    swapped = {
        k[len("module.") :]: v for k, v in ckpt["ema_state_dict"].items() if k.startswith("module.")
    }
    assert all(torch.equal(trained[k], v) for k, v in swapped.items())
    assert not all(torch.equal(averaged[k], v) for k, v in swapped.items())

    again = _runner(
        tmp_path / "b",
        load_from=str(tmp_path / "work" / "epoch_2.pth"),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        custom_hooks=[_PretrainEMA(momentum=0.5)],
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.0)),
    )
    lines = _lines(again)
    again.train()
    assert "Initialize the model parameters with EMA parameters" in lines
    assert all(torch.equal(again.model.state_dict()[k].cpu(), averaged[k]) for k in swapped)


def test_val_scalars_a_hook_puts_in_the_hub_are_logged(tmp_path: Path) -> None:
    runner = _runner(
        tmp_path,
        val=True,
        train_cfg=dict(by_epoch=True, max_epochs=1),
        custom_hooks=[_PretrainEMA(momentum=0.5)],
    )
    lines = _lines(runner)
    runner.train()
    closing = [line for line in lines if line.startswith("Epoch(val)") and "acc/top1:" in line]
    assert len(closing) == 1 and "acc/top1_origin: " in closing[0]


# -- mmpretrain: SimSiamHook reads a paramwise_cfg key from the param groups -----------------


class _FixLr(Hook):
    def __init__(self, lr: float) -> None:
        self.lr = lr

    def before_train_epoch(self, runner: Any) -> None:
        for group in runner.optim_wrapper.optimizer.param_groups:
            if group.get("fix_lr"):
                group["lr"] = self.lr


def _simsiam(tmp_path: Path, record: _Batches) -> Runner:
    return _runner(
        tmp_path,
        train_cfg=dict(by_epoch=True, max_epochs=3),
        optim_wrapper=dict(
            optimizer=dict(type="SGD", lr=0.1, momentum=0.9),
            paramwise_cfg=dict(custom_keys={"head": dict(fix_lr=True)}),
        ),
        param_scheduler=[dict(type="CosineAnnealingLR", T_max=3, by_epoch=True, begin=0, end=3)],
        custom_hooks=[_FixLr(0.05), record],
    )


def test_a_custom_key_of_paramwise_cfg_reaches_the_param_group(tmp_path: Path) -> None:
    record = _Batches()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fix_lr: see the next test
        runner = _simsiam(tmp_path, record)
        runner.train()
    groups = runner.optim_wrapper.optimizer.param_groups
    fixed = [i for i, g in enumerate(groups) if g.get("fix_lr")]
    assert len(fixed) == 2  # head.fc.weight and head.fc.bias
    cosine = [0.1 * (1 + math.cos(math.pi * e / 3)) / 2 for e in (0, 0, 1, 1, 2, 2)]
    for lrs, expected in zip(record.lrs, cosine):
        assert [lrs[i] for i in fixed] == [0.05, 0.05]
        assert [lr for i, lr in enumerate(lrs) if i not in fixed] == [pytest.approx(expected)] * 2


def test_a_custom_key_a_hook_reads_is_not_warned_about(tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _simsiam(tmp_path, _Batches()).train()
    assert not [w for w in caught if "fix_lr" in str(w.message)]


# -- mmpretrain: SwAVHook freezes layers per iteration and keeps a file in the work dir -------


class _FreezeAndQueue(Hook):
    def __init__(self, frozen_iters: int) -> None:
        self.frozen_iters = frozen_iters
        self.requires_grad = True
        self.loaded: Any = None

    def before_run(self, runner: Any) -> None:
        self.queue_path = Path(runner.work_dir) / "queue.pth"
        if self.queue_path.is_file():
            self.loaded = torch.load(self.queue_path)["queue"]

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        frozen = runner.iter < self.frozen_iters
        if frozen == self.requires_grad:
            self.requires_grad = not frozen
            for name, p in runner.model.named_parameters():
                if "head" in name:
                    p.requires_grad = not frozen

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        # one row: a cross-entropy gradient sums to zero over the classes, so the whole
        # matrix's sum never moves
        runner.message_hub.update_info(
            "head_sum", float(runner.model.head.fc.weight[0].detach().sum())
        )

    def after_train_epoch(self, runner: Any) -> None:
        if self.every_n_epochs(runner, 1):
            torch.save({"queue": torch.full((2,), float(runner.epoch))}, self.queue_path)


def test_layers_frozen_by_requires_grad_and_a_work_dir_file(tmp_path: Path) -> None:
    hook = _FreezeAndQueue(frozen_iters=2)
    runner = _runner(tmp_path, custom_hooks=[hook])
    start = float(runner.model.head.fc.weight[0].detach().sum())
    sums: list[float] = []
    runner.register_hook(_InfoAt("head_sum", sums))
    runner.train()
    assert sums[0] == sums[1] == pytest.approx(start) and sums[2] != sums[1]
    again = _FreezeAndQueue(frozen_iters=0)
    _runner(tmp_path, custom_hooks=[again], train_cfg=dict(by_epoch=True, max_epochs=1)).train()
    assert again.loaded.tolist() == [1.0, 1.0]  # runner.epoch in after_train_epoch: the last, 1


class _InfoAt(Hook):
    priority = "LOWEST"

    def __init__(self, key: str, out: list) -> None:
        self.key, self.out = key, out

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        self.out.append(runner.message_hub.get_info(self.key))


# -- mmpretrain: RetrievalTestLoop; mmyolo: SwitchToDeployHook --------------------------------


class _Retrieval(_Net):
    def forward(
        self,
        inputs: torch.Tensor,
        label: Any = None,
        data_samples: Any = None,
        mode: str = "tensor",
    ) -> Any:
        if mode == "tensor":
            feats = self.feats(inputs)
            return dict(img=feats, text=feats * 2)
        return super().forward(inputs, label, data_samples, mode)

    def predict_all(
        self, feats: dict, data_samples: list, num_images: int, num_texts: int
    ) -> tuple:
        sim = feats["img"] @ feats["text"].t()
        i2t, t2i = [], []
        for i, sample in enumerate(data_samples):
            a, b = sample.clone(), sample.clone()
            a.pred_label, b.pred_label = sim[i].argmax(), sim[:, i].argmax()
            a.gt_label = b.gt_label = torch.tensor(i)
            i2t.append(a)
            t2i.append(b)
        return i2t[:num_images], t2i[:num_texts]


class _RetrievalTestLoop(_TestLoop):
    def run(self) -> dict:
        self.runner.call_hook("before_test")
        self.runner.call_hook("before_test_epoch")
        self.runner.model.eval()
        feats_local, samples_local = [], []
        for idx, data_batch in enumerate(self.dataloader):
            with torch.no_grad():
                self.runner.call_hook("before_test_iter", batch_idx=idx, data_batch=data_batch)
                with autocast(enabled=self.fp16):
                    data_batch = self.runner.model.data_preprocessor(data_batch, False)
                    feats = self.runner.model._run_forward(data_batch, mode="tensor")
                    feats_local.append(feats)
                    samples_local.extend(data_batch["data_samples"])
                self.runner.call_hook(
                    "after_test_iter", batch_idx=idx, data_batch=data_batch, outputs=feats
                )
        feats_all = {k: torch.cat([f[k] for f in feats_local]) for k in feats_local[0]}
        size = self.dataloader.dataset.img_size
        i2t, t2i = self.runner.model.predict_all(
            feats_all, samples_local, num_images=size, num_texts=size
        )
        self.evaluator.process(i2t, None)
        metrics = {f"i2t/{k}": v for k, v in self.evaluator.evaluate(size).items()}
        self.evaluator.process(t2i, None)
        metrics.update({f"t2i/{k}": v for k, v in self.evaluator.evaluate(size).items()})
        self.runner.call_hook("after_test_epoch", metrics=metrics)
        self.runner.call_hook("after_test")
        return metrics


class _SwitchToDeploy(Hook):
    def before_test_epoch(self, runner: Any) -> None:
        for layer in runner.model.modules():
            if hasattr(layer, "switch_to_deploy") and layer is not runner.model:
                layer.switch_to_deploy()


def test_a_test_loop_of_its_own_runs_forward_and_evaluates_twice(tmp_path: Path) -> None:
    seen = _Metrics()
    runner = _runner(
        tmp_path,
        model=dict(type=_Retrieval),
        test=True,
        test_cfg=dict(type=_RetrievalTestLoop),
        custom_hooks=[_SwitchToDeploy(), seen],
        train_dataloader=None,
        train_cfg=None,
        optim_wrapper=None,
    )
    model = runner.model
    x = torch.stack([runner.test_dataloader.dataset[i]["inputs"] for i in range(8)])
    x = x.to(next(model.parameters()).device)  # the runner put the model on its device
    with torch.no_grad():
        sim = (model.feats(x) @ (2 * model.feats(x)).t()).cpu()
    i2t = 100.0 * float((sim.argmax(1) == torch.arange(8)).float().mean())
    t2i = 100.0 * float((sim.argmax(0) == torch.arange(8)).float().mean())
    metrics = runner.test()
    assert (
        metrics
        == seen.test[0]
        == {"i2t/acc/top1": pytest.approx(i2t), "t2i/acc/top1": pytest.approx(t2i)}
    )
    assert model.head.deployed


# -- mmpretrain: PreciseBNHook --------------------------------------------------------------


class _TupleDataPreprocessor(BaseDataPreprocessor):
    """PreciseBN unpacks ``inputs, data_samples = model.data_preprocessor(data, False)``."""

    def forward(self, data: Any, training: bool = False) -> Any:
        data = super().forward(data, training)
        return data if training else (data["inputs"], data.get("data_samples"))


class _PreciseBN(Hook):
    def __init__(self, num_samples: int) -> None:
        self.num_samples = num_samples

    @torch.no_grad()
    def after_train_epoch(self, runner: Any) -> None:
        if not (
            isinstance(runner.train_loop, EpochBasedTrainLoop) and self.every_n_epochs(runner, 1)
        ):
            return
        print_log(f"Running Precise BN for {self.num_samples} samples...", logger=runner.logger)
        model, loader = runner.model, runner.train_loop.dataloader
        rank, world_size = get_dist_info()
        num_iter = min(self.num_samples // (loader.batch_size * world_size), len(loader))
        bn = model.bn
        mean, var = torch.zeros_like(bn.running_mean), torch.zeros_like(bn.running_var)
        momentum, bn.momentum = bn.momentum, 1.0
        bar = ProgressBar(num_iter) if rank == 0 else None
        for data in itertools.islice(loader, num_iter):
            inputs, data_samples = model.data_preprocessor(data, False)
            model(inputs, data_samples=data_samples)
            mean += bn.running_mean / num_iter
            var += bn.running_var / num_iter
            if bar is not None:
                bar.update()
        bn.running_mean, bn.running_var, bn.momentum = mean, var, momentum


def test_precise_bn_recomputes_statistics_over_the_train_loader(tmp_path: Path) -> None:
    runner = _runner(
        tmp_path,
        model=dict(type=_Net, bn=True, data_preprocessor=dict(type=_TupleDataPreprocessor)),
        custom_hooks=[_PreciseBN(num_samples=8)],
    )
    lines = _lines(runner)
    runner.train()
    assert lines.count("Running Precise BN for 8 samples...") == 2
    model = runner.model
    device = next(model.parameters()).device  # the runner put the model on its device
    batches = itertools.islice(runner.train_dataloader, 2)
    with torch.no_grad():
        feats = [model.backbone(b["inputs"].to(device)) for b in batches]
    expected = sum(f.mean(0) for f in feats) / 2
    assert torch.allclose(model.bn.running_mean, expected, atol=1e-6)


# -- mmpretrain: SwitchRecipeHook replays its switches on resume ------------------------------


class _SwitchRecipe(Hook):
    def __init__(self, action_epoch: int, pipeline: list, loss_weight: float) -> None:
        self.action_epoch, self.pipeline, self.loss_weight = (
            action_epoch,
            Compose(pipeline),
            loss_weight,
        )

    def before_train(self, runner: Any) -> None:
        if runner._resume and self.action_epoch < runner.epoch + 1:
            self._switch(runner, f" (resume recipe of epoch {self.action_epoch})")

    def before_train_epoch(self, runner: Any) -> None:
        if runner.epoch + 1 == self.action_epoch:
            self._switch(runner, f" at epoch {self.action_epoch}")

    def _switch(self, runner: Any, info: str) -> None:
        loader = runner.train_loop.dataloader
        loader.dataset.pipeline = self.pipeline
        loader._iterator = None  # restarts persistent workers
        runner.model.head.loss_weight = self.loss_weight
        runner.logger.info(f"Switch train pipeline{info}.")


def test_a_recipe_switched_at_an_epoch_is_replayed_on_resume(tmp_path: Path) -> None:
    def run(max_epochs: int, record: _Batches, **kwargs: Any) -> tuple[Runner, list[str]]:
        runner = _runner(
            tmp_path,
            train_dataloader=_loader(pipeline=[_Scale(1.0), _Pack()], workers=1),
            train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
            custom_hooks=[_SwitchRecipe(2, [_Scale(10.0), _Pack()], 2.0), record],
            default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=1)),
            **kwargs,
        )
        lines = _lines(runner)
        runner.train()
        _stop_workers(runner)
        return runner, lines

    first, resumed = _Batches(), _Batches()
    _, lines = run(2, first)
    assert "Switch train pipeline at epoch 2." in lines
    runner, lines = run(3, resumed, resume=True)
    assert "Switch train pipeline (resume recipe of epoch 2)." in lines
    assert resumed.sums == [first.sums[1]] and runner.model.head.loss_weight == 2.0
    assert first.sums[1] == [pytest.approx(10 * s, abs=1e-3) for s in first.sums[0]]


# -- mmagic: ExponentialMovingAverageHook keeps a ``*_ema`` copy in the model -----------------


class _Gan(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.gen = _Net()

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.gen(*args, **kwargs)


class _ModuleEMA(Hook):
    def __init__(self, key: str, momentum: float, start_iter: int) -> None:
        self.key, self.momentum, self.start_iter = key, momentum, start_iter

    def before_run(self, runner: Any) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not hasattr(model, self.key):
            setattr(model, self.key, copy.deepcopy(getattr(model, self.key[:-4])))
            warnings.warn(
                f"We do not suggest construct and initialize EMA model {self.key} in hook.",
                stacklevel=2,
            )

    @torch.no_grad()
    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        ema_net, net = getattr(model, self.key), getattr(model, self.key[:-4])
        states_ema = ema_net.state_dict(keep_vars=False)
        for k, v in net.state_dict(keep_vars=True).items():
            if runner.iter < self.start_iter:
                states_ema[k].data.copy_(v.data)
            else:
                states_ema[k] = (states_ema[k] + (v - states_ema[k]) * self.momentum).detach()
        ema_net.load_state_dict(states_ema, strict=True)


def test_a_module_averaged_in_after_train_iter_is_saved_with_the_model(tmp_path: Path) -> None:
    class Steps(Hook):
        priority = "LOWEST"

        def __init__(self) -> None:
            self.weights: list[torch.Tensor] = []

        def after_train_iter(
            self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
        ) -> None:
            self.weights.append(runner.model.gen.head.fc.weight.detach().clone())

    steps = Steps()
    runner = _runner(
        tmp_path,
        model=dict(type=_Gan),
        custom_hooks=[_ModuleEMA("gen_ema", 0.5, start_iter=2), steps],
        default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=2)),
    )
    with pytest.warns(UserWarning, match="construct and initialize EMA model gen_ema"):
        runner.train()
    expected = steps.weights[1]
    for w in steps.weights[2:]:
        expected = expected + (w - expected) * 0.5
    assert torch.allclose(runner.model.gen_ema.head.fc.weight, expected)
    ckpt = torch.load(tmp_path / "work" / "epoch_2.pth", weights_only=True)
    assert torch.equal(  # saved on the CPU, wherever the model is
        ckpt["state_dict"]["gen_ema.head.fc.weight"], runner.model.gen_ema.head.fc.weight.cpu()
    )


# -- mmseg: SegVisualizationHook -------------------------------------------------------------


class _Drawer(Visualizer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.drawn: list[tuple] = []

    def add_datasample(
        self,
        name: str,
        image: Any,
        data_sample: Any = None,
        draw_gt: bool = True,
        draw_pred: bool = True,
        show: bool = False,
        wait_time: float = 0,
        step: int = 0,
        **kwargs: Any,
    ) -> None:
        self.drawn.append((name, image.shape, step, show, sorted(self._vis_backends)))


class _SegVisualization(Hook):
    def __init__(self, interval: int, show: bool, root: Path) -> None:
        self._visualizer = Visualizer.get_current_instance()
        self.interval, self.show, self.root = interval, show, root
        if show:
            self._visualizer._vis_backends = {}

    def _after_iter(
        self,
        runner: Any,
        batch_idx: int,
        data_batch: Any = None,
        outputs: Any = None,
        mode: str = "val",
    ) -> None:
        if mode == "train" or not self.every_n_inner_iters(batch_idx, self.interval):
            return
        for output in outputs:
            path = str(self.root / output.img_path)
            image = np.load(__import__("io").BytesIO(get(path)))
            self._visualizer.add_datasample(
                f"{mode}_{Path(path).name}",
                image,
                data_sample=output,
                show=self.show,
                step=runner.iter,
            )


@pytest.mark.parametrize("show", [False, True])
def test_a_visualization_hook_draws_val_and_test_samples(tmp_path: Path, show: bool) -> None:
    for i in range(8):
        np.save(tmp_path / f"img_{i}.npy", np.full((2, 3, 3), i, dtype=np.uint8))
    runner = _runner(
        tmp_path,
        val=True,
        test=True,
        train_cfg=dict(by_epoch=True, max_epochs=1),
        visualizer=dict(
            type=_Drawer, vis_backends=[dict(type="LocalVisBackend")], name=f"seg_vis_{show}"
        ),
        # built by the runner, after its visualizer: the hook takes the current instance
        custom_hooks=[dict(type=_SegVisualization, interval=2, show=show, root=tmp_path)],
    )
    runner.train()
    runner.test()
    backends = [] if show else ["LocalVisBackend"]
    assert runner.visualizer.drawn == [
        (f"{mode}_img_{i}.npy", (2, 3, 3), 2, show, backends)
        for mode in ("val", "test")
        for i in (4, 5, 6, 7)
    ]


# -- mmdet: MultiStageTrainLoop wraps train loops built from LOOPS ----------------------------


class _MultiStage(BaseLoop):
    def __init__(self, runner: Any, dataloader: list, stages: list) -> None:
        self._runner = runner
        self._loop_stages = [
            LOOPS.build(cfg, default_args=dict(runner=runner, dataloader=loader))
            for loader, cfg in zip(dataloader, stages)
        ]
        self._cur_loop = self._loop_stages[0]
        self._max_epochs = sum(loop.max_epochs for loop in self._loop_stages)
        self._max_iters = sum(loop.max_iters for loop in self._loop_stages)
        self._previous_epochs = self._previous_iters = 0

    @property
    def dataloader(self) -> Any:
        return self._cur_loop.dataloader

    @property
    def max_epochs(self) -> int:
        return self._max_epochs

    @property
    def max_iters(self) -> int:
        return self._max_iters

    @property
    def epoch(self) -> int:
        return self._previous_epochs + self._cur_loop.epoch

    @property
    def iter(self) -> int:
        return self._previous_iters + self._cur_loop.iter

    def run(self) -> Any:
        for loop in self._loop_stages:
            self._cur_loop = loop
            model = loop.run()
            self._previous_epochs += loop.epoch
            self._previous_iters += loop.iter
        return model


def test_a_loop_of_loops_counts_epochs_across_its_stages(tmp_path: Path) -> None:
    class Epochs(Hook):
        def __init__(self) -> None:
            self.seen: list[tuple] = []

        def before_train_epoch(self, runner: Any) -> None:
            self.seen.append((runner.epoch, runner.iter, len(runner.train_dataloader)))

    hook = Epochs()
    runner = _runner(
        tmp_path,
        val=True,
        train_cfg=dict(
            type=_MultiStage,
            dataloader=[_loader(n=8), _loader(n=12, seed=3)],
            stages=[
                dict(type="EpochBasedTrainLoop", max_epochs=1),
                dict(type="EpochBasedTrainLoop", max_epochs=2),
            ],
        ),
        default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=1)),
        custom_hooks=[hook],
    )
    runner.train()
    assert hook.seen == [(0, 0, 2), (1, 2, 3), (2, 5, 3)]
    assert (runner.max_epochs, runner.max_iters) == (3, 8)
    ckpt = torch.load(tmp_path / "work" / "epoch_3.pth", weights_only=False)
    assert (ckpt["meta"]["epoch"], ckpt["meta"]["iter"]) == (3, 8)


# -- scripts that build the loops themselves --------------------------------------------------


def test_loops_built_by_a_script_from_the_runners_private_names(tmp_path: Path) -> None:
    runner = _runner(tmp_path, val=True, test=True)
    runner._train_loop = runner.build_train_loop(runner._train_loop)
    runner._test_loop = runner.build_test_loop(runner._test_loop)
    runner.call_hook("before_run")
    runner.load_or_resume()
    assert set(runner.test_loop.run()) == {"acc/top1"}
    assert runner.train_loop is runner._train_loop
