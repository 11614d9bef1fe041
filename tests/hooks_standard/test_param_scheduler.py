"""ParamSchedulerHook steps each kind of scheduler at its moment."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from runner_core.evaluator import BaseMetric
from runner_core.hooks import Hook, Priority
from runner_hooks_standard.param_scheduler import ParamSchedulerHook


class LrRecorder(Hook):
    priority = Priority.LOWEST

    def __init__(self) -> None:
        self.lrs: list[float] = []

    def before_train_iter(self, runner: Any) -> None:
        self.lrs.append(runner.optim_wrapper.get_lr()["lr"][0])


def test_iteration_warmup_then_epoch_steps(make_runner: Any) -> None:
    recorder = LrRecorder()
    runner = make_runner(
        param_scheduler=[
            dict(type="LinearLR", start_factor=0.25, by_epoch=False, begin=0, end=4),
            dict(type="MultiStepLR", milestones=[1], gamma=0.1, by_epoch=True),
        ],
        custom_hooks=[recorder],
    )
    runner.train()
    # the same schedulers stepped by hand the way the hook promises to
    model = torch.nn.Linear(4, 2)
    from runner_core.optim import OptimWrapper
    from runner_core.optim.scheduler import LinearLR, MultiStepLR

    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    warm = LinearLR(wrapper, start_factor=0.25, by_epoch=False, begin=0, end=4)
    steps = MultiStepLR(wrapper, milestones=[1], gamma=0.1, by_epoch=True, end=2)
    expected = []
    for _epoch in range(2):
        for _ in range(8):
            expected.append(wrapper.get_lr()["lr"][0])
            warm.step()
        steps.step()
    assert recorder.lrs == pytest.approx(expected)
    assert recorder.lrs[0] == pytest.approx(0.025)  # warm-up starts at 0.25 x lr
    assert recorder.lrs[7] == pytest.approx(0.1)  # warm-up done within epoch 1
    assert recorder.lrs[8:] == pytest.approx([0.01] * 8)  # epoch 2: x0.1 after milestone 1


class ConstantScore(BaseMetric):
    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.append(1)

    def compute_metrics(self, results: list) -> dict:
        return {"score": 1.0}


def test_reduce_on_plateau_steps_with_the_validation_metrics(make_runner: Any) -> None:
    recorder = LrRecorder()
    runner = make_runner(
        val=True,
        val_evaluator=ConstantScore(),
        train_cfg=dict(by_epoch=True, max_epochs=4),
        param_scheduler=dict(
            type="ReduceOnPlateauLR", monitor="score", rule="greater", patience=0, factor=0.5
        ),
        custom_hooks=[recorder],
    )
    runner.train()
    per_epoch = recorder.lrs[::8]
    # epoch 1's score is the best so far; every later one is no better: halve after each
    assert per_epoch == pytest.approx([0.1, 0.1, 0.05, 0.025])


def test_a_plateau_scheduler_in_a_run_without_validation_is_said_never_to_step(
    make_runner: Any,
) -> None:
    """The lr stayed 0.1 for the whole run without a word (MMEngine is silent too)."""
    runner = make_runner(
        param_scheduler=dict(type="ReduceOnPlateauLR", monitor="loss", rule="less"),
    )
    runner.train()
    log = next(runner.log_dir.glob("*.log")).read_text()
    assert "ReduceOnPlateauLR steps on validation metrics, but this run has no validation" in log
    with_val = make_runner(
        val=True,
        val_evaluator=ConstantScore(),
        param_scheduler=dict(type="ReduceOnPlateauLR", monitor="score", rule="greater"),
    )
    with_val.train()
    assert "has no validation" not in next(with_val.log_dir.glob("*.log")).read_text()


class CountingScheduler:
    def __init__(self, by_epoch: bool, need_val_args: bool = False) -> None:
        self.by_epoch = by_epoch
        self.need_val_args = need_val_args
        self.steps = 0
        self.val_steps: list[Any] = []

    def step(self, metrics: Any = None) -> None:
        if metrics is None:
            self.steps += 1
        else:
            self.val_steps.append(metrics)


class AccumulatingWrapper:
    """should_update() is True every second iteration (accumulative_counts=2)."""

    def __init__(self) -> None:
        self.count = 0

    def should_update(self) -> bool:
        return self.count % 2 == 0


def test_dict_of_schedulers_and_step_on_update_only(fake_runner: Any) -> None:
    a_iter, b_epoch = CountingScheduler(False), CountingScheduler(True)
    plateau = CountingScheduler(True, need_val_args=True)
    wrappers = {"gen": AccumulatingWrapper(), "disc": AccumulatingWrapper()}
    runner = fake_runner(
        param_schedulers={"gen": [a_iter], "disc": [b_epoch, plateau]}, optim_wrapper=wrappers
    )
    default = ParamSchedulerHook()
    default.before_train(runner)
    for _ in range(6):
        default.after_train_iter(runner, 0)
    assert a_iter.steps == 6  # MMEngine's behaviour: every iteration
    only_updates = ParamSchedulerHook(step_on_update_only=True)
    only_updates.before_train(runner)
    for i in range(6):
        wrappers["gen"].count = i + 1
        only_updates.after_train_iter(runner, 0)
    assert a_iter.steps == 6 + 3
    default.after_train_epoch(runner)
    assert (b_epoch.steps, plateau.steps) == (1, 1)
    default.after_val_epoch(runner, metrics={"score": 1.0})
    default.after_val_epoch(runner, metrics={})
    assert plateau.val_steps == [{"score": 1.0}] and b_epoch.val_steps == []


def test_no_schedulers_is_fine(fake_runner: Any) -> None:
    hook = ParamSchedulerHook()
    runner = fake_runner(param_schedulers=None)
    hook.before_train(runner)
    hook.after_train_iter(runner, 0)
    hook.after_train_epoch(runner)


def test_something_without_step_is_a_type_error_as_in_mmengine(fake_runner: Any) -> None:
    from runner_core.errors import HookTypeError

    runner = fake_runner(param_schedulers=["StepLR"], optim_wrapper=None)
    hook = ParamSchedulerHook()
    with pytest.raises(HookTypeError, match="which has no step"):
        hook.before_train(runner)
        hook.after_train_iter(runner, 0)


class NoInitWarmupHook(ParamSchedulerHook):
    """mmyolo's pattern (YOLOv5ParamSchedulerHook): no super().__init__(), own before_train."""

    priority = 9

    def __init__(self, warmup: int = 2) -> None:
        self.warmup = warmup

    def before_train(self, runner: Any) -> None:
        self.base = [g["lr"] for g in runner.optim_wrapper.optimizer.param_groups]

    def before_train_iter(self, runner: Any) -> None:
        if runner.iter <= self.warmup:
            for base, group in zip(self.base, runner.optim_wrapper.optimizer.param_groups):
                group["lr"] = base * runner.iter / self.warmup


def test_subclass_without_init_runs_and_steps_the_schedulers(make_runner: Any) -> None:
    recorder = LrRecorder()
    runner = make_runner(
        default_hooks=dict(param_scheduler=NoInitWarmupHook()),
        param_scheduler=dict(type="MultiStepLR", milestones=[3], gamma=0.1, by_epoch=False),
        custom_hooks=[recorder],
    )
    runner.train()
    # its own warm-up for iterations 0..2, then the configured scheduler (x0.1 from iteration 3)
    assert recorder.lrs[:5] == pytest.approx([0.0, 0.05, 0.1, 0.01, 0.01])


class OwnBeforeTrainHook(ParamSchedulerHook):
    def __init__(self) -> None:
        super().__init__()
        self.started = False

    def before_train(self, runner: Any) -> None:
        self.started = True


def test_subclass_overriding_before_train_still_steps_the_schedulers(make_runner: Any) -> None:
    hook = OwnBeforeTrainHook()
    recorder = LrRecorder()
    runner = make_runner(
        train_cfg=dict(by_epoch=True, max_epochs=3),
        default_hooks=dict(param_scheduler=hook),
        param_scheduler=dict(type="MultiStepLR", milestones=[1, 2], gamma=0.1, by_epoch=True),
        custom_hooks=[recorder],
    )
    runner.train()
    assert hook.started
    assert recorder.lrs[::8] == pytest.approx([0.1, 0.01, 0.001])  # as MMEngine's hook


class OwnAfterIterHook(ParamSchedulerHook):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        self.calls += 1
        super().after_train_iter(runner, batch_idx, data_batch, outputs)


def test_subclass_with_its_own_after_train_iter_is_not_left_out(make_runner: Any) -> None:
    hook = OwnAfterIterHook()
    make_runner(default_hooks=dict(param_scheduler=hook)).train()  # no by-iteration schedulers
    assert hook.calls == 16


def test_verbose_schedulers_write_into_the_run_log(make_runner: Any) -> None:
    """verbose=True reports through the run's logger, as MMEngine's print_log('current')
    does, so the new values are in the run's log file (not only on stdout)."""
    from pathlib import Path

    runner = make_runner(
        val=True,
        param_scheduler=[
            dict(type="StepLR", step_size=1, gamma=0.5, verbose=True),
            dict(
                type="ReduceOnPlateauLR",
                monitor="accuracy/top1",
                rule="greater",
                patience=-1,
                verbose=True,
            ),
        ],
    )
    runner.train()
    text = (Path(runner.log_dir) / f"{runner.timestamp}.log").read_text()
    assert "Adjusting parameter value of group 0 to 5.0000e-02." in text
    assert "in epoch 0." in text  # the plateau's first judged validation


class SecondStage(Hook):
    """Replaces the schedule at the start of epoch 2 with a per-iteration warm-up."""

    priority = Priority.HIGH

    def before_train_epoch(self, runner: Any) -> None:
        if runner.epoch == 1:
            from runner_core.optim.scheduler import LinearLR

            warmup = LinearLR(runner.optim_wrapper, start_factor=0.1, by_epoch=False, end=4)
            runner.param_schedulers = [warmup]


def test_schedulers_a_hook_swaps_in_mid_run_are_stepped(make_runner: Any) -> None:
    # MMEngine's hook reads runner.param_schedulers at every call: a schedule a hook puts
    # there mid-run steps, per iteration too, although the run began without one
    recorder = LrRecorder()
    runner = make_runner(
        param_scheduler=[dict(type="MultiStepLR", milestones=[1], gamma=0.5, by_epoch=True)],
        custom_hooks=[SecondStage(), recorder],
    )
    runner.train()
    epoch_1, epoch_2 = recorder.lrs[:8], recorder.lrs[8:]
    assert epoch_1 == [0.1] * 8
    # from the halved 0.05: x0.1, then linearly back to it at the 4th iteration
    assert epoch_2 == pytest.approx([0.005, 0.02, 0.035] + [0.05] * 5)


def test_a_by_epoch_scheduler_in_an_iteration_loop_is_said_to_change_nothing(
    make_runner: Any,
) -> None:
    """The lr stayed 0.1 for the whole run without a word (MMEngine is silent too)."""
    recorder = LrRecorder()
    runner = make_runner(
        train_cfg=dict(by_epoch=False, max_iters=6),
        param_scheduler=[
            dict(type="MultiStepLR", milestones=[1], gamma=0.1),  # by_epoch=True by default
            dict(type="ReduceOnPlateauLR", monitor="loss", rule="less"),  # steps on metrics
        ],
        custom_hooks=[recorder],
    )
    runner.train()
    assert recorder.lrs == pytest.approx([0.1] * 6)
    log = next(runner.log_dir.glob("*.log")).read_text()
    warned = [line for line in log.splitlines() if "has by_epoch=True, but the train loop" in line]
    assert len(warned) == 1 and "param_scheduler MultiStepLR" in warned[0], warned
    assert "(IterBasedTrainLoop)" in warned[0] and "convert_to_iter_based=True" in warned[0]
    # by_epoch=False schedulers, or an epoch loop: nothing to say
    runner = make_runner(param_scheduler=dict(type="MultiStepLR", milestones=[1], gamma=0.1))
    runner.train()
    assert "has by_epoch=True" not in next(runner.log_dir.glob("*.log")).read_text()


def test_a_converted_schedule_without_end_in_an_iteration_loop_says_it_stops_early(
    make_runner: Any,
) -> None:
    """The old warning's advice, convert_to_iter_based=True, left end at the loop's one
    epoch: the lr stopped after 8 of 24 iterations, silently (MMEngine does the same)."""
    recorder = LrRecorder()
    runner = make_runner(
        train_cfg=dict(by_epoch=False, max_iters=24),
        param_scheduler=dict(
            type="CosineAnnealingLR", T_max=3, by_epoch=True, convert_to_iter_based=True
        ),
        custom_hooks=[recorder],
    )
    runner.train()
    assert len(set(recorder.lrs[8:])) == 1  # what the warning is about
    log = next(runner.log_dir.glob("*.log")).read_text()
    warned = [
        line for line in log.splitlines() if "(convert_to_iter_based=True) has no end" in line
    ]
    assert len(warned) == 1, log
    assert "at iteration 8 of 24" in warned[0] and "end=3 covers the run" in warned[0]
    # with end given in epochs it decays over the run, and nothing is said
    recorder = LrRecorder()
    runner = make_runner(
        train_cfg=dict(by_epoch=False, max_iters=24),
        param_scheduler=dict(
            type="CosineAnnealingLR", T_max=3, end=3, by_epoch=True, convert_to_iter_based=True
        ),
        custom_hooks=[recorder],
    )
    runner.train()
    assert recorder.lrs[-1] < recorder.lrs[8] < recorder.lrs[0]
    assert "has no end" not in next(runner.log_dir.glob("*.log")).read_text()


def test_accumulation_gets_no_false_step_order_warning(make_runner: Any) -> None:
    """With accumulative_counts=3 the iteration-based scheduler steps twice before the
    optimizer first does, by design: torch's "scheduler before optimizer" warning was a
    false alarm in every such run (MMEngine's too). A real wrong order still warns."""
    import warnings

    runner = make_runner(
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1), accumulative_counts=3),
        param_scheduler=dict(type="LinearLR", start_factor=0.5, by_epoch=False, end=6),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runner.train()
    assert not [w for w in caught if "before `optimizer.step()`" in str(w.message)]

    from runner_core.optim.scheduler import LinearLR

    optimizer = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    scheduler = LinearLR(optimizer, by_epoch=False)
    with pytest.warns(UserWarning, match=r"`LinearLR\.step\(\)` before `optimizer\.step\(\)`"):
        scheduler.step()
