"""An InfiniteSampler under the epoch-based loop: refused only where its epochs never end."""

from __future__ import annotations

import pytest

from runner_core import Config, Runner
from runner_core.errors import ConfigError
from runner_core.registry import LOOPS
from runner_loops_standard import EpochBasedTrainLoop


@LOOPS.register_module(force=True)
class FixedLengthEpochLoop(EpochBasedTrainLoop):
    """Ends each epoch after ``steps`` iterations itself, as an endless stream needs."""

    steps = 4

    def run_epoch(self) -> None:
        runner = self.runner
        runner.call_hook("before_train_epoch")
        runner.model.train()
        for idx, batch in self.iter_batches(epoch=self._epoch):
            if idx >= self.steps:
                break
            self.run_iter(idx, batch)
        runner.call_hook("after_train_epoch")
        self._epoch += 1


def _endless(cfg: dict) -> dict:
    cfg["train_dataloader"] = dict(
        cfg["train_dataloader"], sampler=dict(type="InfiniteSampler", shuffle=True)
    )
    cfg.pop("val_dataloader", None), cfg.pop("val_cfg", None), cfg.pop("val_evaluator", None)
    return cfg


def test_the_standard_epoch_loop_refuses_an_infinite_sampler(cfg) -> None:
    cfg = _endless(cfg)
    with pytest.raises(ConfigError, match="InfiniteSampler.*never finish"):
        Runner.from_cfg(Config(cfg)).train()


def test_a_loop_with_its_own_run_epoch_may_use_an_infinite_sampler(cfg) -> None:
    cfg = _endless(cfg)
    cfg["train_cfg"] = dict(type="FixedLengthEpochLoop", max_epochs=2)
    runner = Runner.from_cfg(Config(cfg))
    runner.train()
    assert runner.epoch == 2 and runner.iter == 2 * FixedLengthEpochLoop.steps
