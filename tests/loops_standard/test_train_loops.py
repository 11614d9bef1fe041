"""EpochBasedTrainLoop / IterBasedTrainLoop: the validation schedule and their arguments."""

from __future__ import annotations

import pytest
from loop_record import Record

from runner_core import Config, Runner
from runner_core.errors import ConfigError


def _train(cfg: dict, **train_cfg) -> Record:
    cfg["train_cfg"] = train_cfg
    runner = Runner.from_cfg(Config(cfg))
    record = Record()
    runner.register_hook(record)
    runner.train()
    return record


def test_val_interval_and_val_begin_by_epoch(cfg) -> None:
    record = _train(cfg, by_epoch=True, max_epochs=5, val_begin=3, val_interval=1)
    assert [e for e, _ in record.validated_at] == [3, 4, 5]


def test_dynamic_intervals_change_the_interval_from_their_milestone(cfg) -> None:
    record = _train(cfg, by_epoch=True, max_epochs=6, val_interval=3, dynamic_intervals=[(4, 1)])
    assert [e for e, _ in record.validated_at] == [3, 4, 5, 6]


def test_iteration_based_validation_and_the_last_iteration(cfg) -> None:
    record = _train(cfg, by_epoch=False, max_iters=50, val_interval=20, val_begin=1)
    assert [i for _, i in record.validated_at] == [20, 40, 50]
    assert record.train_iters == 50


def test_iteration_based_dynamic_intervals(cfg) -> None:
    record = _train(cfg, by_epoch=False, max_iters=30, val_interval=20, dynamic_intervals=[(10, 5)])
    assert [i for _, i in record.validated_at] == [10, 15, 20, 25, 30]


@pytest.mark.parametrize(
    ("train_cfg", "expected"),
    [  # MMEngine 0.10.7's schedules: a milestone counts from the end of the step before it
        (dict(by_epoch=True, max_epochs=6, val_interval=2, dynamic_intervals=[(4, 3)]), [2, 3, 6]),
        (
            dict(by_epoch=False, max_iters=12, val_interval=2, dynamic_intervals=[(6, 5)]),
            [2, 4, 5, 10, 12],
        ),
    ],
)
def test_dynamic_intervals_switch_where_mmengine_switches(cfg, train_cfg, expected) -> None:
    by_epoch = train_cfg.pop("by_epoch")
    record = _train(cfg, by_epoch=by_epoch, **train_cfg)
    assert [e if by_epoch else i for e, i in record.validated_at] == expected
    # a fresh (resumed) loop answers the same schedule, whatever interval it last applied
    cfg["train_cfg"] = dict(by_epoch=by_epoch, **train_cfg)
    loop = Runner.from_cfg(Config(cfg)).train_loop
    last = train_cfg.get("max_epochs", train_cfg.get("max_iters"))
    assert [n for n in range(1, last + 1) if loop.validates_at(n)] == expected


def test_the_guide_val_cfg_interval_sets_the_train_loop_interval(cfg) -> None:
    cfg["val_cfg"] = dict(interval=2)
    record = _train(cfg, by_epoch=True, max_epochs=4)
    assert [e for e, _ in record.validated_at] == [2, 4]


@pytest.mark.parametrize(
    ("train_cfg", "key"),
    [
        (dict(by_epoch=True, max_epochs=0), "train_cfg.max_epochs"),
        (dict(by_epoch=True, max_epochs=2.5), "train_cfg.max_epochs"),
        (dict(by_epoch=True, max_epochs="3"), "train_cfg.max_epochs"),
        (dict(by_epoch=True, max_epochs=2, val_interval=0), "train_cfg.val_interval"),
        (dict(by_epoch=True, max_epochs=2, val_begin=-1), "train_cfg.val_begin"),
        (dict(by_epoch=False, max_iters=-5), "train_cfg.max_iters"),
        (dict(by_epoch=True, max_epochs=2, dynamic_intervals=[(2, 0)]), "dynamic_intervals[0][1]"),
        (dict(by_epoch=True, max_epochs=2, dynamic_intervals=[3]), "dynamic_intervals[0]"),
    ],
)
def test_bad_values_fail_before_training_naming_the_key(cfg, train_cfg, key) -> None:
    cfg["train_cfg"] = train_cfg
    runner = Runner.from_cfg(Config(cfg))
    record = Record()
    runner.register_hook(record)
    with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")) as info:
        runner.train()
    assert isinstance(info.value, ValueError)  # what MMEngine code catches
    assert record.train_iters == 0


def test_a_train_step_error_names_the_iteration(cfg) -> None:
    cfg["train_cfg"] = dict(by_epoch=True, max_epochs=2)
    runner = Runner.from_cfg(Config(cfg))
    model = runner.model
    calls = {"n": 0}
    original = model.train_step

    def failing(data, optim_wrapper):
        calls["n"] += 1
        if calls["n"] == 50:
            raise ValueError("bad batch")
        return original(data, optim_wrapper=optim_wrapper)

    model.train_step = failing
    with pytest.raises(ValueError, match="bad batch") as info:
        runner.train()
    notes = " ".join(getattr(info.value, "__notes__", []))
    # 45 iterations per epoch: the 50th is the 5th batch (index 4) of epoch 2
    assert "iteration 50 (epoch 2, batch 4)" in notes
