"""ValLoop / TestLoop: fp16 autocast, and their extension points."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from loop_record import Record

from runner_core import Config, Runner
from runner_core.registry import LOOPS
from runner_loops_standard import ValLoop


def _runner(cfg: dict) -> tuple[Runner, Record]:
    runner = Runner.from_cfg(Config(cfg))
    record = Record()
    runner.register_hook(record)
    return runner, record


def _device_type(runner: Runner) -> str:
    """Where the Runner put the model: 'cuda' when there is a GPU, else 'cpu'."""
    return next(runner.model.parameters()).device.type


def _half(runner: Runner) -> torch.dtype:
    """What fp16 evaluation autocasts to there: float16 on CUDA, bfloat16 on the CPU."""
    return torch.float16 if _device_type(runner) == "cuda" else torch.bfloat16


def test_fp16_evaluates_under_autocast_and_keeps_accuracy(cfg) -> None:
    runner, record = _runner(cfg)
    runner.train()
    full = runner.val()["accuracy/top1"]
    assert record.val_dtypes == {torch.float32}
    cfg["val_cfg"] = dict(fp16=True)
    cfg["load_from"] = str(runner.work_dir / "epoch_2.pth")
    half_runner, half_record = _runner(cfg)
    half = half_runner.val()["accuracy/top1"]
    # bfloat16 on CPU (float16 on CUDA); the model's logits come out in it
    assert half_record.val_dtypes == {_half(half_runner)}
    assert abs(half - full) <= 1.0


def _test_parts(cfg: dict) -> dict:
    return dict(test_dataloader=cfg["val_dataloader"], test_evaluator=cfg["val_evaluator"])


def test_dtype_picks_the_autocast_dtype_and_turns_autocast_on(cfg) -> None:
    cfg["val_cfg"] = dict(dtype="float16")  # the other one than fp16=True's CPU default
    cfg.update(_test_parts(cfg), test_cfg=dict(fp16=True, dtype=torch.bfloat16))
    runner, record = _runner(cfg)
    runner.val()
    runner.test()
    assert record.val_dtypes == {torch.float16}
    assert record.test_dtypes == {torch.bfloat16}


def test_a_dtype_autocast_cannot_take_is_named_with_its_key(cfg) -> None:
    from runner_core.errors import ConfigError

    cfg.update(_test_parts(cfg), test_cfg=dict(fp16=True, dtype="float32"))
    runner, _ = _runner(cfg)
    with pytest.raises(ConfigError, match=r"test_cfg\.dtype='float32'.*'bfloat16'"):
        runner.test()


@LOOPS.register_module(force=True)
class CountingValLoop(ValLoop):
    """Overrides run_iter only, calling the standard one."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.grad_enabled: set[bool] = set()
        self.batches = 0

    def run_iter(self, idx, data_batch):
        self.grad_enabled.add(torch.is_grad_enabled())
        self.batches += 1
        return super().run_iter(idx, data_batch)


@LOOPS.register_module(force=True)
class ScaledValLoop(ValLoop):
    """Overrides evaluate only: adds a metric computed from the others."""

    def evaluate(self):
        metrics = super().evaluate()
        metrics["error_rate"] = 100.0 - metrics["accuracy/top1"]
        return metrics


def test_overriding_run_iter_keeps_no_grad_autocast_and_hook_points(cfg) -> None:
    cfg["val_cfg"] = dict(type="CountingValLoop", fp16=True)
    runner, record = _runner(cfg)
    metrics = runner.val()
    loop = runner.val_loop
    assert loop.batches == len(loop.dataloader) > 0
    assert loop.grad_enabled == {False}
    assert record.val_dtypes == {_half(runner)}  # the hook points ran; the step autocast
    assert "accuracy/top1" in metrics


def test_fp16_autocasts_the_step_only_not_hooks_or_metrics(cfg) -> None:
    """As MMEngine: a metric's or hook's own arithmetic keeps full precision."""
    from runner_core.evaluator import BaseMetric
    from runner_core.hooks import Hook

    seen: dict[str, set[bool]] = {"metric": set(), "hook": set(), "step": set()}
    where: dict[str, Any] = {}  # the autocast device type and dtype of this machine's run

    class Probe(BaseMetric):
        def process(self, data_batch, data_samples) -> None:
            seen["metric"].add(torch.is_autocast_enabled(where["device"]))
            self.results.append(1)

        def compute_metrics(self, results) -> dict:
            return {"n": len(results)}

    class Points(Hook):
        def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
            seen["hook"].add(torch.is_autocast_enabled(where["device"]))
            seen["step"].add(outputs["pred"].dtype == where["dtype"])

    cfg["val_cfg"] = dict(fp16=True)
    cfg["val_evaluator"] = Probe()
    runner = Runner.from_cfg(Config(cfg))
    runner.register_hook(Points())
    where.update(device=_device_type(runner), dtype=_half(runner))
    assert runner.val()["n"] > 0
    assert seen == {"metric": {False}, "hook": {False}, "step": {True}}


def test_overriding_evaluate_adds_metrics_that_hooks_see(cfg) -> None:
    cfg["val_cfg"] = dict(type="ScaledValLoop")
    runner, record = _runner(cfg)
    runner.train()
    hub = runner.message_hub
    accuracy = hub.get_scalar("val/accuracy/top1").current()
    assert hub.get_scalar("val/error_rate").current() == 100.0 - accuracy
    assert len(record.validated_at) == 2


def test_a_val_loop_class_as_test_cfg_runs_the_test_points(cfg) -> None:
    from runner_core.hooks import Hook

    class Points(Hook):
        def __init__(self) -> None:
            self.seen: list[str] = []

        def after_val_epoch(self, runner, metrics=None) -> None:
            self.seen.append("after_val_epoch")

        def after_test_epoch(self, runner, metrics=None) -> None:
            self.seen.append("after_test_epoch")

    cfg.update(
        test_dataloader=cfg["val_dataloader"],
        test_evaluator=cfg["val_evaluator"],
        test_cfg=dict(type="ScaledValLoop"),
    )
    runner = Runner.from_cfg(Config(cfg))
    points = Points()
    runner.register_hook(points)
    metrics = runner.test()
    assert runner.test_loop.mode == "test" and points.seen == ["after_test_epoch"]
    assert "error_rate" in metrics


def _modes(model: torch.nn.Module) -> set[bool]:
    return {m.training for m in model.modules()}


def test_val_and_test_leave_the_model_in_eval_mode_as_mmengine(cfg) -> None:
    """A notebook that evaluates, then predicts with runner.model, gets MMEngine's
    deterministic outputs: dropout off, BatchNorm statistics frozen."""
    cfg.update(
        test_dataloader=cfg["val_dataloader"],
        test_evaluator=cfg["val_evaluator"],
        test_cfg=dict(),
    )
    runner = Runner.from_cfg(Config(cfg))
    runner.model.train()
    runner.test()
    assert _modes(runner.model) == {False}
    runner.model.train()
    runner.val()
    assert _modes(runner.model) == {False}


class _ModeAtEveryStep(Record):
    """Records the model's mode at every training step; with ``validate_at``, validates
    right after that batch of every epoch, as a third-party loop or hook may."""

    def __init__(self, validate_at: int | None = None) -> None:
        super().__init__()
        self.validate_at = validate_at
        self.training_at_step: list[set[bool]] = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.training_at_step.append(_modes(runner.model))

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        super().after_train_iter(runner, batch_idx, data_batch, outputs)
        if batch_idx == self.validate_at:
            runner.run_validation()


def test_validation_in_the_middle_of_an_epoch_puts_training_mode_back(cfg) -> None:
    runner = Runner.from_cfg(Config(cfg))
    modes = _ModeAtEveryStep(validate_at=1)
    runner.register_hook(modes)
    runner.train()
    assert len(modes.validated_at) == 4  # two mid-epoch, two on schedule
    assert len(modes.training_at_step) == modes.train_iters > 4
    assert all(m == {True} for m in modes.training_at_step)
    # the last (scheduled) validation leaves eval mode, as MMEngine's loop does
    assert _modes(runner.model) == {False}


def test_iteration_loop_trains_in_training_mode_after_validating(cfg) -> None:
    cfg["train_cfg"] = dict(by_epoch=False, max_iters=6, val_interval=2)
    cfg["default_hooks"] = dict(checkpoint=dict(by_epoch=False, interval=3))
    runner = Runner.from_cfg(Config(cfg))
    modes = _ModeAtEveryStep()
    runner.register_hook(modes)
    runner.train()
    assert modes.validated_at == [(0, 2), (0, 4), (0, 6)]
    assert len(modes.training_at_step) == 6
    assert all(m == {True} for m in modes.training_at_step)


def test_a_pass_stopped_midway_leaves_no_results_in_the_next(cfg) -> None:
    """A Ctrl-C (or an error) after the first validation batch left that batch's results
    in the metric, and the next val() counted them with its own (MMEngine does too)."""
    from runner_core.hooks import Hook

    class StopAfterOneBatch(Hook):
        armed = False

        def after_val_iter(self, runner: Any, batch_idx: int, **kwargs: Any) -> None:
            if self.armed:
                raise KeyboardInterrupt

    runner, _ = _runner(cfg)
    stopper = StopAfterOneBatch()
    runner.register_hook(stopper)
    clean = runner.val()
    stopper.armed = True
    with pytest.raises(KeyboardInterrupt):
        runner.val()
    stopper.armed = False
    assert runner.val() == clean


def _refused(cfg: dict, mode: str, **loader: Any) -> str:
    """The ConfigError message of ``mode`` run with ``loader`` options in its dataloader."""
    from runner_core.errors import ConfigError

    cfg.update(_test_parts(cfg))
    cfg[f"{mode}_dataloader"] = dict(cfg[f"{mode}_dataloader"], **loader)
    cfg[f"{mode}_cfg"] = dict()
    runner = Runner.from_cfg(Config(cfg))
    with pytest.raises(ConfigError) as refused:
        getattr(runner, mode)()
    return str(refused.value)


@pytest.mark.parametrize("mode", ["val", "test"])
def test_the_standard_eval_loops_refuse_an_infinite_sampler(cfg, mode: str) -> None:
    """Its stream never ends, so the pass would run forever (MMEngine's hangs there)."""
    message = _refused(cfg, mode, sampler=dict(type="InfiniteSampler"))
    assert f"{mode}_dataloader.sampler is an InfiniteSampler" in message
    assert "sampler=dict(type='DefaultSampler', shuffle=False)" in message


@pytest.mark.parametrize("mode", ["val", "test"])
def test_a_loader_of_no_batches_is_refused_naming_drop_last(cfg, mode: str) -> None:
    """drop_last=True with a batch larger than the data: the pass evaluated nothing, the
    metrics warned "got no results" and the run succeeded with 0 (MMEngine's too)."""
    message = _refused(cfg, mode, batch_size=100_000, drop_last=True)
    assert message.startswith(f"{mode}_dataloader yields no batches: ")
    assert "do not fill one batch of batch_size=100000 with drop_last=True" in message


@LOOPS.register_module(force=True)
class FirstBatchesValLoop(ValLoop):
    """Stops after ``steps`` batches itself: an endless sampler is fine there."""

    steps = 2

    def run(self) -> dict[str, Any]:
        self.runner.call_hook("before_val")
        for idx, batch in enumerate(self.dataloader):
            if idx >= self.steps:
                break
            self.run_iter(idx, batch)
        self.runner.call_hook("after_val")
        return {}


def test_a_val_loop_with_its_own_run_may_use_an_infinite_sampler(cfg) -> None:
    cfg["val_dataloader"] = dict(cfg["val_dataloader"], sampler=dict(type="InfiniteSampler"))
    cfg["val_cfg"] = dict(type="FirstBatchesValLoop")
    runner, _ = _runner(cfg)
    assert runner.val() == {}


@pytest.mark.parametrize("mode", ["val", "test"])
def test_a_step_returning_a_tensor_is_named_not_the_metric(cfg, mode: str) -> None:
    """A predict that returned one Tensor failed inside the metric, "iteration over a 0-d
    tensor", blaming it; a dict of batch tensors (the digits model's) still evaluates."""
    from digits import DigitsMLPForTests

    from runner_core.evaluator import BaseMetric
    from runner_loops_standard.evaluate import StepOutputTypeError

    class LabelsOnly(DigitsMLPForTests):
        def forward(self, inputs: Any, labels: Any = None, mode: str = "tensor") -> Any:
            out = super().forward(inputs, labels, mode)
            return out["pred"].argmax(1) if mode == "predict" else out

    class PerSample(BaseMetric):
        def process(self, data_batch: Any, data_samples: Any) -> None:
            for pred, gt in data_samples:  # per-sample results, as MMEngine's metrics read
                self.results.append(int(pred == gt))

        def compute_metrics(self, results: list) -> dict:
            return {"acc": sum(results) / len(results)}

    cfg.update(_test_parts(cfg))
    cfg[f"{mode}_cfg"] = dict()
    assert "accuracy/top1" in getattr(Runner.from_cfg(Config(cfg)), mode)()
    cfg["model"] = LabelsOnly()
    cfg[f"{mode}_evaluator"] = PerSample()
    with pytest.raises(StepOutputTypeError) as info:
        getattr(Runner.from_cfg(Config(cfg)), mode)()
    assert isinstance(info.value, TypeError)  # MMEngine: the metric's TypeError
    message = str(info.value)
    assert (
        f"The model LabelsOnly's {mode}_step (its forward(mode='predict')) returned a Tensor "
        "of shape (128,) where a list (or tuple) of per-sample results is expected"
    ) in message
    assert "iteration over a 0-d tensor" in message
    assert "e.g. [dict(pred=p, gt=g) for p, g in zip(preds, labels)]" in message
    assert info.value.__notes__ == ["Raised in metric PerSample (process)."]
