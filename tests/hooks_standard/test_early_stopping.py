"""EarlyStoppingHook stops at the right epoch, also across a resume."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from runner_core.errors import ConfigError, HookError
from runner_core.evaluator import BaseMetric
from runner_core.hooks import Hook
from runner_hooks_standard.early_stopping import EarlyStoppingHook


class ScoreByEpoch(BaseMetric):
    """Reports ``scores[runner.epoch]`` (the runner is attached after building)."""

    def __init__(self, scores: list[float]) -> None:
        super().__init__()
        self.scores = scores
        self.runner: Any = None

    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.append(0)

    def compute_metrics(self, results: list) -> dict:
        return {"score": self.scores[self.runner.epoch - 1]}


SCORES = [1.0, 2.0, 3.0, 3.0, 3.05, 2.0, 3.0, 3.0, 3.0, 3.0]


def run(
    make_runner: Any,
    max_epochs: int,
    resume: bool = False,
    scores: list[float] = SCORES,
    **hook: Any,
) -> Any:
    metric = ScoreByEpoch(scores)
    hook = hook or dict(patience=3)
    runner = make_runner(
        val=True,
        val_evaluator=metric,
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        custom_hooks=[dict(type="EarlyStoppingHook", monitor="score", rule="greater", **hook)],
        resume=resume,
    )
    metric.runner = runner
    runner.train()
    return runner


def test_stops_after_patience_validations_without_improvement(make_runner: Any) -> None:
    runner = run(make_runner, max_epochs=10)
    # best 3.0 at epoch 3; 3.0, 3.05 (< min_delta better), 2.0 -> three without improvement
    assert runner.epoch == 6
    assert runner.train_loop.stop_training


def test_a_resumed_run_stops_where_the_full_run_does(make_runner: Any) -> None:
    first = run(make_runner, max_epochs=4)  # saves epoch_4.pth with wait_count=1
    assert first.epoch == 4
    resumed = run(make_runner, max_epochs=10, resume=True)
    assert resumed.epoch == 6


class KilledAfterSave(Hook):
    """Stops the run right after the checkpoint of ``epoch``, before its validation."""

    priority = "LOWEST"  # after CheckpointHook's after_train_epoch

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def after_train_epoch(self, runner: Any) -> None:
        if runner.epoch + 1 == self.epoch:
            raise RuntimeError("killed")


def test_a_run_resumed_before_its_validation_counts_that_validation(make_runner: Any) -> None:
    """The resumed run validates epoch 5 again; early stopping must count it (stop at 6)."""
    metric = ScoreByEpoch(SCORES)
    first = make_runner(
        val=True,
        val_evaluator=metric,
        train_cfg=dict(by_epoch=True, max_epochs=10),
        custom_hooks=[
            dict(type="EarlyStoppingHook", monitor="score", rule="greater", patience=3),
            KilledAfterSave(epoch=5),
        ],
    )
    metric.runner = first
    with pytest.raises(RuntimeError, match="killed"):
        first.train()
    resumed = run(make_runner, max_epochs=10, resume=True)
    assert resumed.epoch == 6 and resumed.train_loop.stop_training


@pytest.mark.parametrize(
    ("scores", "hook", "stopped_at"),
    [
        (SCORES, dict(patience=3), 6),
        ([1.0, 2.0, 3.0, 4.0], dict(stopping_threshold=2.5), 3),
        ([1.0, float("nan"), 3.0], dict(), 2),
    ],
    ids=["patience", "stopping_threshold", "check_finite"],
)
def test_resuming_a_run_that_stopped_early_trains_no_further(
    make_runner: Any, scores: list[float], hook: dict, stopped_at: int
) -> None:
    """Like resuming a finished run: no training, no new or rewritten checkpoint."""
    first = run(make_runner, max_epochs=10, scores=scores, **hook)
    assert first.epoch == stopped_at
    work = first.work_dir
    files = {p.name: p.read_bytes() for p in work.iterdir() if p.is_file()}
    assert f"epoch_{stopped_at}.pth" in files
    weights = {k: v.clone() for k, v in first.model.state_dict().items()}
    resumed = run(make_runner, max_epochs=10, resume=True, scores=scores, **hook)
    assert (resumed.epoch, resumed.iter) == (first.epoch, first.iter)
    assert all(torch.equal(v, weights[k]) for k, v in resumed.model.state_dict().items())
    assert {p.name: p.read_bytes() for p in work.iterdir() if p.is_file()} == files
    logs = "".join(p.read_text() for p in work.glob("*/*.log"))
    assert f"had stopped early after epoch {stopped_at}" in logs


def test_state_round_trip_and_rule_inference() -> None:
    hook = EarlyStoppingHook(monitor="accuracy/top1")
    assert hook.rule == "greater"
    assert EarlyStoppingHook(monitor="val_loss").rule == "less"
    hook.best_score, hook.wait_count = 91.0, 2
    other = EarlyStoppingHook(monitor="accuracy/top1")
    other.load_state_dict(hook.state_dict())
    assert (other.best_score, other.wait_count) == (91.0, 2)
    with pytest.raises(ConfigError, match="rule='greater'"):
        EarlyStoppingHook(monitor="score")


def test_missing_monitor_warns_or_raises(fake_runner: Any) -> None:
    runner = fake_runner()
    metrics = {"accuracy/top1": 1.0}
    lenient = EarlyStoppingHook(monitor="accuracy/top")
    lenient.before_train(runner)
    with pytest.warns(UserWarning, match="Did you mean 'accuracy/top1'") as caught:
        lenient.after_val_epoch(runner, metrics=metrics)
    # shown at the hook's own line, as MMEngine's: its caller in a run is a generated
    # hook point ("<hook point after_val_epoch>:8"), which says nothing
    assert caught[0].filename.endswith("/runner_hooks_standard/early_stopping.py")
    strict = EarlyStoppingHook(monitor="accuracy/top", strict=True)
    strict.before_train(runner)
    with pytest.raises(HookError, match="monitors 'accuracy/top'"):
        strict.after_val_epoch(runner, metrics=metrics)


def test_threshold_and_non_finite_stop_at_once(fake_runner: Any) -> None:
    runner = fake_runner()
    hook = EarlyStoppingHook(monitor="loss", stopping_threshold=0.5)
    hook.before_train(runner)
    hook.after_val_epoch(runner, metrics={"loss": 0.7})
    assert not runner.train_loop.stop_training
    hook.after_val_epoch(runner, metrics={"loss": 0.4})
    assert runner.train_loop.stop_training
    runner = fake_runner()
    hook = EarlyStoppingHook(monitor="loss")
    hook.before_train(runner)
    hook.after_val_epoch(runner, metrics={"loss": float("nan")})
    assert runner.train_loop.stop_training


def test_boundaries_follow_mmengine(fake_runner: Any) -> None:
    # a tie with best + min_delta is an improvement: a flat metric never stops the run
    runner = fake_runner()
    hook = EarlyStoppingHook(monitor="score", rule="greater", min_delta=0, patience=2)
    hook.before_train(runner)
    for _ in range(5):
        hook.after_val_epoch(runner, metrics={"score": 1.0})
    assert not runner.train_loop.stop_training and hook.wait_count == 0
    # the threshold must be passed, not only reached
    runner = fake_runner()
    hook = EarlyStoppingHook(monitor="score", rule="greater", stopping_threshold=0.8)
    hook.before_train(runner)
    hook.after_val_epoch(runner, metrics={"score": 0.8})
    assert not runner.train_loop.stop_training
    hook.after_val_epoch(runner, metrics={"score": 0.9})
    assert runner.train_loop.stop_training


@pytest.mark.parametrize(
    ("hook", "stopped_at"),
    [
        (dict(patience=0), 4),  # as patience=1 (MMEngine takes 0)
        (dict(patience=1), 4),
        (dict(patience=1, min_delta=-1.0), 10),  # a drop within 1 still counts: no stop
    ],
)
def test_patience_zero_and_a_negative_min_delta_mean_what_they_mean_in_mmengine(
    make_runner: Any, hook: dict, stopped_at: int
) -> None:
    runner = run(make_runner, max_epochs=10, scores=[1.0, 2.0, 3.0] + [3.0] * 7, **hook)
    assert runner.epoch == stopped_at
    if hook == dict(patience=0):  # the message counts the validations that were judged
        log = next(runner.log_dir.glob("*.log")).read_text()
        assert "in the last 1 validations" in log and "in the last 0 validations" not in log
