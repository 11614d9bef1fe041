"""A subclass's ``call_hook`` sees every hook point the Runner calls, as in MMEngine
(subclasses written for MMEngine override it to trace or wrap hook calls)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import TensorDataset

from runner_core import Runner
from runner_core.model import ModuleAdapter


class TracingRunner(Runner):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.traced: list[str] = []
        super().__init__(*args, **kwargs)

    def call_hook(self, fn_name: str, **kwargs: Any) -> None:
        self.traced.append(fn_name)
        super().call_hook(fn_name, **kwargs)


def _runner(
    work_dir: Path,
    samples: int = 8,
    batch_size: int = 4,
    train_cfg: dict[str, Any] | None = None,
    checkpoint: dict[str, Any] | None = None,
    **kwargs: Any,
) -> TracingRunner:
    x = torch.randn(samples, 2, generator=torch.Generator().manual_seed(0))
    data = TensorDataset(x, x.sum(1, keepdim=True))
    return TracingRunner(
        model=ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=data, batch_size=batch_size),
        train_cfg=train_cfg or dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        default_hooks=dict(checkpoint=checkpoint or dict(type="CheckpointHook", interval=1)),
        **kwargs,
    )


def test_an_overriding_call_hook_sees_run_and_checkpoint_points(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    runner.train()
    for point in ("before_run", "before_train", "before_save_checkpoint", "after_train"):
        assert point in runner.traced
    assert runner.traced[0] == "before_run" and runner.traced[-1] == "after_run"

    resumed = _runner(tmp_path, resume=True)
    resumed.train()  # nothing left to train: it resumes at the end
    assert "after_load_checkpoint" in resumed.traced
    assert resumed.traced.index("before_run") < resumed.traced.index("after_load_checkpoint")


def test_an_overriding_call_hook_sees_every_iteration_and_epoch_point(tmp_path: Path) -> None:
    """The loops call the points straight through ``runner.hook_points``; an override
    written for MMEngine (tracing, timing, guarding hooks) saw none of them."""
    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(0))
    data = TensorDataset(x, x.sum(1, keepdim=True))
    from runner_core.evaluator import BaseMetric

    class Count(BaseMetric):
        def process(self, data_batch: Any, data_samples: Any) -> None:
            self.results.append(1)

        def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
            return {"n": len(results)}

    for train_cfg in (dict(by_epoch=True, max_epochs=2), dict(by_epoch=False, max_iters=6)):
        runner = _runner(
            tmp_path / str(len(train_cfg)),
            val_dataloader=dict(dataset=data, batch_size=4),
            val_evaluator=Count(),
            test_dataloader=dict(dataset=data, batch_size=4),
            test_evaluator=Count(),
        )
        runner._train_loop = train_cfg  # as MMEngine's, a config put there is built
        runner.train()
        runner.test()
        iters = 4 if train_cfg["by_epoch"] else 6  # 2 batches per epoch
        epochs = 2 if train_cfg["by_epoch"] else 1
        for point, times in [
            ("before_train_iter", iters),
            ("after_train_iter", iters),
            ("before_train_epoch", epochs),
            ("after_train_epoch", epochs),
            ("before_val_iter", 2 * epochs if train_cfg["by_epoch"] else 2),
            ("after_test_iter", 2),
        ]:
            assert runner.traced.count(point) == times, point
        assert runner.iter == iters


def test_a_resume_mid_epoch_with_an_override_and_a_loop_of_its_own_keeps_its_place(
    tmp_path: Path,
) -> None:
    """The loop's watch of call_hook calls (for loops counting themselves) took the fast
    path's points routed through the override for its own: the epoch was trained again."""
    from runner_core.hooks import Hook
    from runner_loops_standard.train import EpochBasedTrainLoop

    class OwnRun(EpochBasedTrainLoop):  # mmrazor's loops: their own run(), stock run_epoch
        def run(self) -> Any:
            return super().run()

    class Stop(Exception):
        pass

    class StopAt5(Hook):
        def after_train_iter(self, runner: Any, batch_idx: int, data_batch=None, outputs=None):
            if runner.iter + 1 == 5:
                raise Stop

    def make(**kwargs: Any) -> TracingRunner:  # 8 batches an epoch, a save every 3
        return _runner(
            tmp_path,
            samples=16,
            batch_size=2,
            train_cfg=dict(type=OwnRun, max_epochs=1),
            checkpoint=dict(type="CheckpointHook", interval=3, by_epoch=False),
            **kwargs,
        )

    try:
        make(custom_hooks=[StopAt5()]).train()
    except Stop:
        pass
    resumed = make(resume=True)
    resumed.train()
    assert resumed.resume_state.resumed_from == str(tmp_path / "iter_3.pth")
    assert resumed.traced.count("after_train_iter") == 5 and resumed.iter == 8


def test_a_call_hook_patched_after_a_first_run_sees_the_points(tmp_path: Path) -> None:
    """The routed points kept the call_hook bound when first asked for: a spy patched in
    later (mock.patch.object) saw no val iteration."""
    from unittest import mock

    from runner_core.evaluator import BaseMetric

    class Count(BaseMetric):
        def process(self, data_batch: Any, data_samples: Any) -> None:
            self.results.append(1)

        def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
            return {"n": len(results)}

    x = torch.randn(8, 2)
    runner = _runner(
        tmp_path,
        val_dataloader=dict(dataset=TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4),
        val_evaluator=Count(),
    )
    runner.val()
    seen: list[str] = []
    real = TracingRunner.call_hook

    def spy(self: TracingRunner, fn_name: str, **kwargs: Any) -> None:
        seen.append(fn_name)
        real(self, fn_name, **kwargs)

    with mock.patch.object(TracingRunner, "call_hook", spy):
        runner.val()
    assert seen.count("before_val_iter") == 2 and seen.count("after_val_iter") == 2
