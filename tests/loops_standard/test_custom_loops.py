"""Custom loops: overriding one extension point is enough, and resume stays bit-exact.

``DocsEpochLoop`` is the training loop of docs/howto/custom-loop.md, written
on ``BaseLoop`` alone: it keeps its position in ``state_dict`` and iterates
its data with ``iter_batches``. It must resume bit-exactly like the standard
loops, without calling anything about random streams itself.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from loop_record import Record

from runner_core import Config, Runner
from runner_core.loop import BaseLoop
from runner_core.registry import LOOPS
from runner_loops_standard import EpochBasedTrainLoop, IterBasedTrainLoop


@LOOPS.register_module(force=True)
class DocsEpochLoop(BaseLoop):
    """Train for ``max_epochs``; resumes exactly at epoch boundaries and mid-epoch."""

    by_epoch = True

    def __init__(self, runner, dataloader, max_epochs: int) -> None:
        super().__init__(runner, dataloader)
        self._max_epochs = int(max_epochs)
        self._epoch = self._iter = 0
        self._start = 0  # batches of this epoch a resumed checkpoint trained on already
        self.stop_training = False
        self._position = {"epoch": 0, "iter": 0, "batch_in_epoch": 0}  # what a save records

    # what hooks read (TrainLoopAPI)
    epoch = property(lambda self: self._epoch)
    iter = property(lambda self: self._iter)
    max_epochs = property(lambda self: self._max_epochs)
    max_iters = property(lambda self: self._max_epochs * len(self.dataloader))

    def run(self) -> Any:
        runner = self.runner
        runner.call_hook("before_train")
        while self._epoch < self._max_epochs and not self.stop_training:
            runner.call_hook("before_train_epoch")
            runner.model.train()
            for idx, batch in self.iter_batches(self._start, epoch=self._epoch):
                runner.call_hook("before_train_iter", batch_idx=idx, data_batch=batch)
                outputs = runner.model.train_step(batch, optim_wrapper=runner.optim_wrapper)
                self._position = {
                    "epoch": self._epoch,
                    "iter": self._iter + 1,
                    "batch_in_epoch": idx + 1,
                }
                runner.call_hook(
                    "after_train_iter", batch_idx=idx, data_batch=batch, outputs=outputs
                )
                self._iter += 1
            self._start = 0
            self._position = {"epoch": self._epoch + 1, "iter": self._iter, "batch_in_epoch": 0}
            runner.call_hook("after_train_epoch")
            self._epoch += 1
        runner.call_hook("after_train")
        return runner.model

    def state_dict(self) -> dict[str, Any]:
        return dict(self._position)

    def load_state_dict(self, state) -> None:
        self._epoch, self._iter = int(state["epoch"]), int(state["iter"])
        self._start = int(state.get("batch_in_epoch", 0))
        self._position = {"epoch": self._epoch, "iter": self._iter, "batch_in_epoch": self._start}


@LOOPS.register_module(force=True)
class ClippedEpochLoop(EpochBasedTrainLoop):
    """Overrides run_iter only: counts and checks the loss of every step."""

    seen = 0

    def run_iter(self, idx, data_batch) -> None:
        super().run_iter(idx, data_batch)
        type(self).seen += 1


@LOOPS.register_module(force=True)
class EpochHookLoop(EpochBasedTrainLoop):
    """Overrides run_epoch only."""

    epochs_run = 0

    def run_epoch(self) -> None:
        type(self).epochs_run += 1
        super().run_epoch()


@LOOPS.register_module(force=True)
class CountingIterLoop(IterBasedTrainLoop):
    seen = 0

    def run_iter(self, data_batch) -> None:
        super().run_iter(data_batch)
        type(self).seen += 1


def _dropout_cfg(cfg: dict, tmp, **train_cfg) -> dict:
    out = dict(cfg, work_dir=str(tmp))
    out["model"] = dict(type="DigitsMLPForTests", dropout=0.3)  # random streams matter
    out["train_cfg"] = train_cfg
    return out


def _weights(runner: Runner) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in runner.unwrapped_model.state_dict().items()}


def test_overriding_run_iter_keeps_hooks_validation_and_counters(cfg) -> None:
    cfg["train_cfg"] = dict(type="ClippedEpochLoop", max_epochs=2)
    runner = Runner.from_cfg(Config(cfg))
    record = Record()
    runner.register_hook(record)
    ClippedEpochLoop.seen = 0
    runner.train()
    assert ClippedEpochLoop.seen == record.train_iters == runner.iter == 90
    assert [e for e, _ in record.validated_at] == [1, 2]
    assert (runner.work_dir / "epoch_2.pth").is_file()


def test_overriding_run_epoch_and_iteration_based_run_iter(cfg) -> None:
    cfg["train_cfg"] = dict(type="EpochHookLoop", max_epochs=3)
    EpochHookLoop.epochs_run = 0
    Runner.from_cfg(Config(cfg)).train()
    assert EpochHookLoop.epochs_run == 3
    cfg["train_cfg"] = dict(type="CountingIterLoop", max_iters=30, val_interval=10)
    CountingIterLoop.seen = 0
    runner = Runner.from_cfg(Config(cfg))
    runner.train()
    assert CountingIterLoop.seen == runner.iter == 30


def test_a_loop_written_from_the_docs_resumes_bit_exactly(cfg, tmp_path) -> None:
    straight = Runner.from_cfg(
        Config(_dropout_cfg(cfg, tmp_path / "a", type="DocsEpochLoop", max_epochs=3))
    )
    straight.train()
    first = Runner.from_cfg(
        Config(_dropout_cfg(cfg, tmp_path / "b", type="DocsEpochLoop", max_epochs=2))
    )
    first.train()
    resumed_cfg = _dropout_cfg(cfg, tmp_path / "b", type="DocsEpochLoop", max_epochs=3)
    resumed_cfg["resume"] = str(tmp_path / "b" / "epoch_2.pth")
    resumed = Runner.from_cfg(Config(resumed_cfg))
    resumed.train()
    assert resumed.epoch == 3 and resumed.iter == straight.iter == 135
    for key, value in _weights(straight).items():
        assert torch.equal(value, _weights(resumed)[key]), key


def _train_saving_every_20(cfg: dict, work_dir, resume: str | None = None, **train_cfg) -> Runner:
    """Train the dropout model with ``train_cfg``, saving ``iter_N.pth`` every 20 iterations."""
    c = _dropout_cfg(cfg, work_dir, **train_cfg)
    c["default_hooks"] = dict(
        logger=dict(type="LoggerHook", interval=1000),
        checkpoint=dict(type="CheckpointHook", interval=20, by_epoch=False),
    )
    if resume is not None:
        c["resume"] = resume
    runner = Runner.from_cfg(Config(c))
    runner.train()
    return runner


def test_an_overridden_standard_loop_resumes_bit_exactly_mid_epoch(cfg, tmp_path) -> None:
    def run(work: str, **extra) -> Runner:
        return _train_saving_every_20(
            cfg, tmp_path / work, type="ClippedEpochLoop", max_epochs=2, **extra
        )

    straight = run("a")
    # resume from iteration 60: inside the second epoch (45 iterations each)
    run("b")
    resumed = run("b", resume=str(tmp_path / "b" / "iter_60.pth"))
    for key, value in _weights(straight).items():
        assert torch.equal(value, _weights(resumed)[key]), key


def test_a_loop_written_from_the_docs_resumes_bit_exactly_mid_epoch(cfg, tmp_path) -> None:
    """Without ``start`` the docs' loop trained the resumed epoch from its first batch
    (a save every N iterations, or a preemption's, lands mid-epoch)."""

    def run(work: str, **extra) -> Runner:
        return _train_saving_every_20(
            cfg, tmp_path / work, type="DocsEpochLoop", max_epochs=2, **extra
        )

    straight = run("a")
    run("b")
    resumed = run("b", resume=str(tmp_path / "b" / "iter_60.pth"))  # epoch 2 of 45 batches
    assert resumed.iter == straight.iter == 90
    for key, value in _weights(straight).items():
        assert torch.equal(value, _weights(resumed)[key]), key


@LOOPS.register_module(force=True)
class DrawingIterLoop(IterBasedTrainLoop):
    """MMEngine's pattern: a run() of its own drawing next(self.dataloader_iterator)."""

    def run(self) -> Any:
        self.runner.call_hook("before_train")
        self.runner.call_hook("before_train_epoch")
        self.runner.model.train()
        while self.runner.iter < self.max_iters:
            self.run_iter(next(self.dataloader_iterator))
        self.runner.call_hook("after_train_epoch")
        self.runner.call_hook("after_train")
        return self.runner.model


@LOOPS.register_module(force=True)
class SkippingIterLoop(DrawingIterLoop):
    """MMEngine's run() as it is: a resumed run first draws self._iter batches to skip
    the data it trained already (MMEngine's iterator starts at the data's beginning)."""

    def run(self) -> Any:
        self.runner.call_hook("before_train")
        self.runner.call_hook("before_train_epoch")
        for _ in range(self._iter):
            next(self.dataloader_iterator)
        self.runner.model.train()
        while self._iter < self.max_iters:
            self.run_iter(next(self.dataloader_iterator))
        self.runner.call_hook("after_train_epoch")
        self.runner.call_hook("after_train")
        return self.runner.model


@LOOPS.register_module(force=True)
class OwnIteratorLoop(IterBasedTrainLoop):
    """MMEngine's pattern: an iterator of its own, set in __init__, that run() draws from."""

    drawn = 0
    passes: int | None = None  # None: endless

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dataloader_iterator = self._counting()

    def _counting(self) -> Any:
        type(self).drawn = 0
        done = 0
        while self.passes is None or done < self.passes:
            for batch in self.dataloader:
                type(self).drawn += 1
                yield batch
            done += 1


def test_a_run_drawing_from_dataloader_iterator_trains_and_resumes_as_the_standard_one(
    cfg, tmp_path
) -> None:
    def run(work: str, loop: str, **extra) -> Runner:  # 45 batches a pass
        return _train_saving_every_20(cfg, tmp_path / work, type=loop, max_iters=100, **extra)

    standard = run("a", "IterBasedTrainLoop")
    drawing = run("b", "DrawingIterLoop")
    assert drawing.iter == 100
    # a subclass may set its own iterator, as MMEngine's __init__ sets one, and the standard
    # run() draws from it, as MMEngine's does
    own = run("c", "OwnIteratorLoop")
    assert own.iter == 100 and OwnIteratorLoop.drawn == 100
    # one that runs out before max_iters is an error naming it, not an early end
    from runner_loops_standard import EmptyDataError

    OwnIteratorLoop.passes = 1
    try:
        with pytest.raises(EmptyDataError, match=r"dataloader_iterator ended after 45 iterations"):
            run("d", "OwnIteratorLoop")
    finally:
        OwnIteratorLoop.passes = None
    resumed = run("b", "DrawingIterLoop", resume=str(tmp_path / "b" / "iter_60.pth"))
    run("e", "SkippingIterLoop")
    skipped = run("e", "SkippingIterLoop", resume=str(tmp_path / "e" / "iter_60.pth"))
    for key, value in _weights(standard).items():  # the same batches, each pass reshuffled
        assert torch.equal(value, _weights(drawing)[key]), key
        assert torch.equal(value, _weights(resumed)[key]), key
        assert torch.equal(value, _weights(skipped)[key]), key  # skipped once, not twice


class _GradProbe(torch.nn.Linear):
    """Records whether autograd was on in each forward."""

    def __init__(self) -> None:
        super().__init__(4, 2)
        self.grad_enabled: list[bool] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.grad_enabled.append(torch.is_grad_enabled())
        return super().forward(x)


@LOOPS.register_module(force=True)
class GuideStyleValLoop(BaseLoop):
    """The guide's custom validation loop: hooks around ``run_iter``, no eval/no_grad of its own."""

    def run(self) -> Any:
        self.runner.call_hook("before_val_epoch")
        for idx, batch in enumerate(self.dataloader):
            self.run_iter(idx, batch)
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        self.runner.call_hook("after_val_epoch", metrics=metrics)
        return metrics


def test_run_iter_of_a_val_loop_runs_without_autograd(tmp_path) -> None:
    """MMEngine's ValLoop.run_iter is under no_grad; a loop written on BaseLoop gets the same."""
    from torch.utils.data import TensorDataset

    x = torch.randn(8, 4)
    model = _GradProbe()
    runner = Runner(
        model=model,
        work_dir=str(tmp_path),
        val_dataloader=dict(dataset=TensorDataset(x, (x[:, 0] > 0).long()), batch_size=4),
        val_cfg=dict(type="GuideStyleValLoop"),
        val_evaluator=dict(type="Accuracy"),
    )
    runner.val()
    assert model.grad_enabled == [False, False]


class _GlobalResumeLoop(BaseLoop):
    """A loop of one's own that resumes a pass from a global position (``global_start``)."""

    def run(self) -> list[tuple[int, list[int]]]:
        return [(idx, batch.tolist()) for idx, batch in self.iter_batches(3, 0, global_start=12)]


def test_iter_batches_numbers_a_restarted_pass_from_zero() -> None:
    """A sampler without set_global_start cannot go on from a global position: the pass
    restarts from its first batch, and the batch indices say so (0, 1, ... not 3, 4, ...)."""
    from types import SimpleNamespace

    from torch.utils.data import DataLoader, DistributedSampler

    from runner_core.runner.resume import ResumeState

    runner = SimpleNamespace(resume_state=ResumeState())
    sampler = DistributedSampler(range(16), num_replicas=2, rank=0, shuffle=False)
    loop = _GlobalResumeLoop(runner, DataLoader(range(16), batch_size=2, sampler=sampler))
    with pytest.warns(UserWarning, match="restarts from its first batch"):
        batches = loop.run()
    assert batches == [(0, [0, 2]), (1, [4, 6]), (2, [8, 10]), (3, [12, 14])]
