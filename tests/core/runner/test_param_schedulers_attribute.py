"""``runner.param_schedulers`` holds what was passed until ``train()`` builds it (MMEngine's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from runner_core import Runner
from runner_core.model import ModuleAdapter
from runner_core.optim.scheduler import ConstantLR, MultiStepLR


def _runner(work_dir: Path, **kwargs: Any) -> Runner:
    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(0))
    return Runner(
        model=ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        default_hooks=dict(logger=dict(interval=1, progress_bar=False)),
        **kwargs,
    )


@pytest.mark.filterwarnings("ignore:init_weights of ModuleAdapter")  # the second train()
def test_it_holds_the_configs_until_train_builds_them(tmp_path: Path) -> None:
    given = [dict(type="MultiStepLR", milestones=[1], by_epoch=True)]
    runner = _runner(tmp_path, param_scheduler=given)
    assert runner.param_schedulers is given  # as MMEngine: the very object passed
    runner.train()
    (built,) = runner.param_schedulers
    assert isinstance(built, MultiStepLR) and built.last_step == 1  # end=2 (max_epochs): stops at 1
    assert runner.optim_wrapper.optimizer.param_groups[0]["lr"] == 0.1 * 0.1
    runner.train()  # a second train() of the finished run: the schedule goes on, as MMEngine's
    assert runner.param_schedulers[0] is built
    assert runner.optim_wrapper.optimizer.param_groups[0]["lr"] == 0.1 * 0.1


@pytest.mark.parametrize(
    "given",
    [
        dict(type="MultiStepLR", milestones=[1], by_epoch=True),
        dict(type="LinearLR", start_factor=0.1, end=2, by_epoch=True),
        # milestones past the first run's end, which was taken from its length: the
        # schedule stretches to the longer run, as a resume into it does
        dict(type="MultiStepLR", milestones=[3], by_epoch=True),
        dict(type="MultiStepLR", milestones=[3], by_epoch=True, convert_to_iter_based=True),
    ],
)
def test_a_train_that_continues_the_run_continues_its_schedule(tmp_path: Path, given) -> None:
    """Raising max_epochs and calling train() again (a notebook's habit) must give one
    long run's learning rates: schedulers rebuilt from their configs would start over on
    the already scheduled lr (a MultiStepLR decaying twice)."""

    def lrs_per_epoch(runner: Runner) -> list[float]:
        return [round(v, 6) for v in runner.message_hub.get_scalar("train/lr").data()[::2]]

    torch.manual_seed(0)
    twice = _runner(tmp_path / "twice", param_scheduler=dict(given))
    twice.train()
    twice.train_loop._max_epochs = 4
    twice.train()
    torch.manual_seed(0)
    once = _runner(tmp_path / "once", param_scheduler=dict(given))
    once.train_loop._max_epochs = 4
    once.train()
    assert lrs_per_epoch(twice) == lrs_per_epoch(once)


def test_one_config_dict_stays_a_dict_and_none_stays_none(tmp_path: Path) -> None:
    one = dict(type="MultiStepLR", milestones=[1])
    assert _runner(tmp_path / "a", param_scheduler=one).param_schedulers == one
    runner = _runner(tmp_path / "b")
    assert runner.param_schedulers is None
    runner.train()
    assert runner.param_schedulers == []  # after train(): a list (MMEngine keeps None)


def test_from_cfg_gives_the_config_value(tmp_path: Path) -> None:
    x = torch.randn(8, 2)
    cfg = dict(
        model=ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=TensorDataset(x, x), batch_size=4),
        train_cfg=dict(max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        param_scheduler=[dict(type="ConstantLR", factor=0.5)],
    )
    runner = Runner.from_cfg(cfg)
    assert runner.param_schedulers == [dict(type="ConstantLR", factor=0.5)]


def test_configs_put_there_before_train_are_the_ones_built(tmp_path: Path) -> None:
    """MMEngine's train() builds whatever ``param_schedulers`` holds then."""
    runner = _runner(tmp_path, param_scheduler=[dict(type="MultiStepLR", milestones=[1])])
    runner.param_schedulers = [dict(type="ConstantLR", factor=0.5, end=1)]
    runner.train()
    (built,) = runner.param_schedulers
    assert isinstance(built, ConstantLR)


def test_a_checkpoint_saved_before_train_has_no_scheduler_state(tmp_path: Path) -> None:
    runner = _runner(tmp_path, param_scheduler=dict(type="MultiStepLR", milestones=[1]))
    saved = runner.save_checkpoint(tmp_path, "before.pth", save_optimizer=False)
    assert saved is not None
    ckpt = torch.load(tmp_path / "before.pth", map_location="cpu", weights_only=True)
    assert "param_schedulers" not in ckpt and "state_dict" in ckpt
    runner.train()
    runner.save_checkpoint(tmp_path, "after.pth")
    ckpt = torch.load(tmp_path / "after.pth", map_location="cpu", weights_only=True)
    assert ckpt["param_schedulers"][0]["last_step"] == 1


def test_schedulers_a_runner_subclass_builds_itself_are_saved(tmp_path: Path) -> None:
    """A subclass written for MMEngine builds them as MMEngine's train() does."""
    runner = _runner(tmp_path, param_scheduler=dict(type="MultiStepLR", milestones=[1]))
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.param_schedulers = runner.build_param_scheduler(runner.param_schedulers)
    runner.save_checkpoint(tmp_path, "own.pth")
    ckpt = torch.load(tmp_path / "own.pth", map_location="cpu", weights_only=True)
    assert ckpt["param_schedulers"][0]["last_step"] == 0


class _Err:
    def process(self, data_batch: Any, data_samples: Any) -> None:
        pass

    def evaluate(self, size: int) -> dict[str, float]:
        return {"err": 1.0}


def test_validating_before_training_leaves_the_configs_alone(tmp_path: Path) -> None:
    """ParamSchedulerHook's after_val_epoch skips configs (MMEngine's skips unbuilt ones)."""
    x = torch.randn(8, 2)
    data = dict(dataset=TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4)
    given = [dict(type="ReduceOnPlateauLR", monitor="err", by_epoch=True)]
    runner = _runner(tmp_path, param_scheduler=given, val_dataloader=data, val_evaluator=_Err())
    assert runner.val() == {"err": 1.0}
    assert runner.param_schedulers is given


def test_a_failed_build_keeps_the_configs_for_the_next_train(tmp_path: Path) -> None:
    given = [dict(type="MultiStepLR", milestones=[1]), dict(type="NoSuchLR")]
    runner = _runner(tmp_path, param_scheduler=given)
    with pytest.raises(KeyError, match="NoSuchLR"):
        runner.train()
    assert runner.param_schedulers is given


def test_schedulers_built_before_train_know_the_epoch_length(tmp_path: Path) -> None:
    # MMEngine scripts: runner.param_schedulers = runner.build_param_scheduler(...) before
    # train(); convert_to_iter_based needs the loader's length (2 batches per epoch here)
    runner = _runner(tmp_path)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    [scheduler] = runner.build_param_scheduler(
        dict(type="MultiStepLR", milestones=[1], convert_to_iter_based=True)
    )
    assert scheduler.milestones == {2: 1} and not scheduler.by_epoch


def test_a_schedule_whose_values_follow_its_end_keeps_it_on_a_later_train(tmp_path: Path) -> None:
    """Moving a cosine's end without its T_max made the lr climb back up (0.1, 0.05, 0.0,
    0.05); it keeps the first run's end, as before (a resume rebuilds it for the new one)."""
    runner = _runner(tmp_path, param_scheduler=dict(type="CosineAnnealingLR", by_epoch=True))
    runner.train()
    runner.train_loop._max_epochs = 4
    runner.train()
    lrs = [round(v, 6) for v in runner.message_hub.get_scalar("train/lr").data()[::2]]
    assert lrs == sorted(lrs, reverse=True), lrs  # never rises again
