"""The default set, old/misspelled hook names, OptimizerHook, hook errors."""

from __future__ import annotations

import traceback
from typing import Any

import pytest
import torch

from runner_core.errors import BuildError
from runner_core.hooks import Hook
from runner_core.registry import HOOKS
from runner_hooks_standard.defaults import standard_default_hooks
from runner_hooks_standard.logger import LoggerHook
from runner_hooks_standard.optimizer import OptimizerHook


def test_standard_set_roles_and_priorities(make_runner: Any) -> None:
    assert list(standard_default_hooks()) == [
        "runtime_info",
        "timer",
        "sampler_seed",
        "logger",
        "param_scheduler",
        "checkpoint",
        "check_invalid_loss",
    ]
    runner = make_runner()
    by_role = {runner.hooks.role_of(h): (type(h).__name__, h.priority) for h in runner.hooks}
    assert by_role == {
        "runtime_info": ("RuntimeInfoHook", 10),
        "timer": ("IterTimerHook", 50),
        "sampler_seed": ("DistSamplerSeedHook", 50),
        "logger": ("LoggerHook", 60),
        "param_scheduler": ("ParamSchedulerHook", 70),
        "checkpoint": ("CheckpointHook", 90),
        "check_invalid_loss": ("CheckInvalidLossHook", 40),
    }


def test_text_logger_hook_builds_a_logger_hook_with_a_warning() -> None:
    with pytest.warns(DeprecationWarning, match="TextLoggerHook is LoggerHook in runner") as w:
        hook = HOOKS.build(dict(type="TextLoggerHook", interval=5))
    assert type(hook) is LoggerHook and hook.interval == 5
    assert w[0].filename == __file__  # the line that built it, not the registry's
    with pytest.raises(BuildError, match="unexpected argument 'intervall'.*'interval'"):
        HOOKS.build(dict(type="TextLoggerHook", intervall=5))


def test_misspelled_optimizer_hook_builds_the_right_one() -> None:
    with pytest.warns(DeprecationWarning, match="did you mean OptimizerHook"):
        hook = HOOKS.build(dict(type="OptimzierHook", grad_clip=False))
    assert type(hook) is OptimizerHook and hook.grad_clip is None


def test_the_guide_default_hooks_config_trains(make_runner: Any) -> None:
    guide_hooks = dict(
        timer=dict(type="IterTimerHook"),
        checkpoint=dict(type="CheckpointHook", interval=1),
        logger=dict(type="TextLoggerHook"),
        optimizer=dict(type="OptimzierHook", grad_clip=False),
        param_scheduler=dict(type="ParamSchedulerHook"),
        sampler_seed=dict(type="DistSamplerSeedHook"),
    )
    with pytest.warns(DeprecationWarning):
        runner = make_runner(default_hooks=guide_hooks)
    runner.train()
    assert runner.iter == 16


def test_optimizer_hook_grad_clip_clips(make_runner: Any) -> None:
    runner = make_runner(
        default_hooks=dict(optimizer=dict(type="OptimizerHook", grad_clip=dict(max_norm=1e-3)))
    )
    runner.train()
    assert runner.optim_wrapper.last_grad_norm is not None  # the norm clipping measured
    assert runner.optim_wrapper.clip_grad_kwargs == {"max_norm": 1e-3}


def test_sampler_seed_hook_sets_the_epoch(fake_runner: Any) -> None:
    from types import SimpleNamespace

    from runner_hooks_standard.sampler_seed import DistSamplerSeedHook

    seen: list[int] = []
    sampler = SimpleNamespace(set_epoch=seen.append)
    runner = fake_runner()
    runner.train_loop.dataloader = SimpleNamespace(
        sampler=object(), batch_sampler=SimpleNamespace(sampler=sampler)
    )
    runner.train_loop.epoch = 3
    DistSamplerSeedHook().before_train_epoch(runner)
    assert seen == [3]


class Exploding(Hook):
    def after_train_iter(self, runner: Any) -> None:
        self._explode(runner.iter)

    def _explode(self, at: int) -> None:
        if at == 2:
            raise ValueError("boom at iteration 2")


def test_a_failing_hook_keeps_its_traceback_and_is_named(make_runner: Any) -> None:
    runner = make_runner(default_hooks=dict(exploder=Exploding()))
    with pytest.raises(ValueError, match="boom at iteration 2") as info:
        runner.train()
    frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert frames[-2:] == ["after_train_iter", "_explode"]
    assert any(
        "Exploding" in note and "'after_train_iter'" in note and "'exploder'" in note
        for note in info.value.__notes__
    )


def test_empty_cache_and_sync_buffers_are_harmless_on_one_cpu_process(make_runner: Any) -> None:
    runner = make_runner(
        custom_hooks=[
            dict(type="EmptyCacheHook", before_epoch=True, after_iter=True),
            dict(type="SyncBuffersHook"),
        ]
    )
    runner.train()
    assert runner.iter == 16
    assert all(torch.isfinite(p).all() for p in runner.model.parameters())
