"""EpochBasedTrainLoop / IterBasedTrainLoop: the validation schedule and their arguments."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from loop_record import Record
from torch.utils.data import Dataset

from runner_core import Config, Runner
from runner_core.errors import ConfigError
from runner_core.hooks import Hook
from runner_core.registry import DATASETS


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
    # both keys set and disagreeing: refused, not one of them dropped (MMEngine: a TypeError)
    cfg["train_cfg"] = dict(by_epoch=True, max_epochs=4, val_interval=1)
    with pytest.raises(TypeError, match=r"val_cfg.interval=2 and train_cfg.val_interval=1"):
        Runner.from_cfg(Config(cfg)).train()


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


@pytest.mark.parametrize(
    ("train_cfg", "mmengine_class"),
    [
        (dict(by_epoch=True, max_epochs="2"), AssertionError),  # MMEngine asserts an int
        (dict(by_epoch=True, max_epochs=2.5), AssertionError),
        (dict(by_epoch=False, max_iters="4"), AssertionError),
        (dict(by_epoch=True, max_epochs=2, val_interval="2"), TypeError),  # epoch % '2'
    ],
)
def test_a_count_that_is_not_an_int_is_the_class_mmengine_raises(
    cfg, train_cfg, mmengine_class
) -> None:
    cfg["train_cfg"] = train_cfg
    if not train_cfg["by_epoch"]:
        cfg["default_hooks"] = dict(checkpoint=dict(by_epoch=False, interval=1))
    runner = Runner.from_cfg(Config(cfg))
    with pytest.raises(ConfigError, match="must be a whole number") as info:
        runner.train()
    assert isinstance(info.value, mmengine_class)


def test_a_count_out_of_range_is_not_a_type_error(cfg) -> None:
    cfg["train_cfg"] = dict(by_epoch=True, max_epochs=2, val_interval=0)
    with pytest.raises(ConfigError, match="val_interval must be >= 1") as info:
        Runner.from_cfg(Config(cfg)).train()
    assert not isinstance(info.value, (TypeError, AssertionError))


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
    # 45 iterations per epoch: the 50th is the 5th batch of epoch 2, as the log counts
    assert "iteration 50 (epoch 2, batch 5)" in notes


@DATASETS.register_module(force=True)
class NoisyPointsForTests(Dataset):
    """100 fixed points (6.25 batches of 16) with fresh noise on every read: augmentation."""

    def __init__(self) -> None:
        self.x = torch.randn(100, 64, generator=torch.Generator().manual_seed(0))

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"inputs": self.x[i] + 0.1 * torch.randn(64), "labels": torch.tensor(i % 10)}


class _BatchSums(Hook):
    """The input sum of each training batch, by iteration."""

    def __init__(self) -> None:
        self.sums: dict[int, float] = {}

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.sums[runner.iter] = float(data_batch["inputs"].sum())


@pytest.mark.parametrize("num_workers", [0, 2])
def test_infinite_sampler_resumes_exactly_past_the_first_pass(cfg, tmp_path, num_workers) -> None:
    """InfiniteSampler has the dataset's len() but one endless stream: a run resumed at
    iteration 20 (past the first pass of 7 batches) must feed the batches, and augment
    them, exactly as the uninterrupted run did."""
    loader = dict(
        dataset=dict(type="NoisyPointsForTests"),
        sampler=dict(type="InfiniteSampler", shuffle=True),
        batch_size=16,
        num_workers=num_workers,
        persistent_workers=num_workers > 0,
    )

    def run(work: str, **extra) -> tuple[Runner, _BatchSums]:
        c = dict(cfg, work_dir=str(tmp_path / work), train_dataloader=loader, **extra)
        c["train_cfg"] = dict(by_epoch=False, max_iters=30, val_interval=1000)
        c["default_hooks"] = dict(
            logger=dict(type="LoggerHook", interval=1000),
            checkpoint=dict(type="CheckpointHook", interval=10, by_epoch=False),
        )
        runner = Runner.from_cfg(Config(c))
        sums = _BatchSums()
        runner.register_hook(sums)
        runner.train()
        return runner, sums

    straight, straight_sums = run("a")
    resumed, resumed_sums = run("b", resume=str(tmp_path / "a" / "iter_20.pth"))
    # runner.iter counts completed iterations: the resumed run does iterations 21..30
    assert sorted(resumed_sums.sums) == list(range(20, 30))
    assert resumed_sums.sums == {i: straight_sums.sums[i] for i in range(20, 30)}
    weights = straight.model.state_dict()
    for key, value in resumed.model.state_dict().items():
        assert torch.equal(value, weights[key]), key


class _CountingSampler(torch.utils.data.SequentialSampler):
    """Fails the test once iterated more often than a loop that stops would iterate it."""

    def __iter__(self):
        self.passes = getattr(self, "passes", 0) + 1
        assert self.passes < 5, "the loop kept starting passes over an empty loader"
        return super().__iter__()


class _Nothing(torch.utils.data.IterableDataset):
    def __iter__(self):
        self.passes = getattr(self, "passes", 0) + 1
        assert self.passes < 5, "the loop kept starting passes over an empty loader"
        return iter(())


class _Three(Dataset):
    def __len__(self) -> int:
        return 3

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"inputs": torch.zeros(64), "labels": torch.tensor(0)}


@pytest.mark.parametrize("case", ["drop_last", "empty IterableDataset"])
def test_an_iteration_loop_over_a_loader_without_batches_stops(cfg, case) -> None:
    """MMEngine raises StopIteration; a pass without a batch must not start another."""
    from runner_loops_standard import EmptyDataError

    if case == "drop_last":
        dataset = _Three()
        loader = dict(dataset=dataset, sampler=_CountingSampler(dataset), batch_size=4)
        loader["drop_last"] = True
    else:
        loader = dict(dataset=_Nothing(), sampler=None, batch_size=4)
    c = dict(cfg, train_dataloader=loader, val_dataloader=None, val_cfg=None, val_evaluator=None)
    c["train_cfg"] = dict(by_epoch=False, max_iters=3)
    runner = Runner.from_cfg(Config(c))
    with pytest.raises(StopIteration) as info:
        runner.train()
    assert isinstance(info.value, EmptyDataError) and isinstance(info.value, RuntimeError)
    message = str(info.value)
    assert "train_dataloader gave no batch in data pass 1" in message
    assert "drop_last" in message and "IterableDataset" in message


def test_an_epoch_loop_over_a_loader_without_batches_runs_its_empty_epochs(cfg) -> None:
    """As MMEngine: the epochs end at once, without an error; the run's log says why."""
    dataset = _Three()
    loader = dict(dataset=dataset, sampler=_CountingSampler(dataset), batch_size=4, drop_last=True)
    c = dict(cfg, train_dataloader=loader, val_dataloader=None, val_cfg=None, val_evaluator=None)
    runner = Runner.from_cfg(Config(c))
    runner.train()
    assert (runner.epoch, runner.iter) == (2, 0)
    log = (Path(runner.log_dir) / f"{runner.timestamp}.log").read_text()
    assert (
        "WARNING - train_dataloader gives no batch (3 sample(s), batch_size=4, drop_last=True): "
        "every epoch of this run trains nothing." in log
    )


class _NoLen(Dataset):
    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"inputs": torch.zeros(64), "labels": torch.tensor(0)}


class _NoIndices(torch.utils.data.Sampler):
    def __len__(self) -> int:
        return 0

    def __iter__(self):
        return iter(())


def test_the_no_batch_warning_of_a_dataset_without_len_does_not_fail_the_run(cfg) -> None:
    loader = dict(dataset=_NoLen(), sampler=_NoIndices(), batch_size=4)
    c = dict(cfg, train_dataloader=loader, val_dataloader=None, val_cfg=None, val_evaluator=None)
    runner = Runner.from_cfg(Config(c))
    runner.train()  # len(dataset) raised TypeError inside the warning
    log = (Path(runner.log_dir) / f"{runner.timestamp}.log").read_text()
    assert "train_dataloader gives no batch (no len(), batch_size=4" in log


def test_a_forward_that_refuses_the_batch_keys_keeps_its_type_and_gets_a_hint(cfg) -> None:
    from runner_core.model import BaseModel

    class LitForward(BaseModel):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Linear(64, 10)

        def forward(self, x):
            return self.net(x)

    cfg["model"] = LitForward()
    with pytest.raises(
        TypeError, match=r"LitForward.forward\(\) got an unexpected keyword"
    ) as info:
        Runner.from_cfg(Config(cfg)).train()
    assert str(info.value).endswith("got an unexpected keyword argument 'inputs'")  # unchanged
    notes = " ".join(getattr(info.value, "__notes__", []))
    assert "iteration 1 (epoch 1, batch 1)" in notes
    assert "BaseModel.train_step calls forward(**data, mode='loss')" in notes
    assert "forward(inputs=..., labels=..., mode='loss')" in notes  # the digits batch's keys


def test_frozen_parameters_keep_torch_error_and_get_a_hint(cfg) -> None:
    runner = Runner.from_cfg(Config(cfg))
    for p in runner.model.parameters():
        p.requires_grad_(False)
    with pytest.raises(RuntimeError, match="^element 0 of tensors does not require grad") as info:
        runner.train()
    notes = " ".join(getattr(info.value, "__notes__", []))
    assert "No parameter of" in notes and "requires_grad=False" in notes
    assert "optimizer was built over frozen parameters" in notes


def test_ranks_with_different_numbers_of_batches_are_refused_on_every_rank(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Per-rank datasets of 400 and 300 samples: the rank that ran out first aborted inside
    gloo ('EnforceNotMet ... 2412 vs 8') or the job hung until the timeout."""
    import runner_core.distributed as dist
    from runner_loops_standard.train import _check_same_batches_on_every_rank

    monkeypatch.setattr(dist, "get_world_size", lambda: 2)
    monkeypatch.setattr(dist, "all_gather_object", lambda n: [n, 19])
    _check_same_batches_on_every_rank(list(range(19)))  # the same everywhere: fine
    with pytest.raises(
        ConfigError, match=r"different number of batches per epoch \(rank 0: 25, rank 1: 19\)"
    ):
        _check_same_batches_on_every_rank(list(range(25)))
    monkeypatch.setattr(dist, "get_world_size", lambda: 1)
    monkeypatch.setattr(dist, "all_gather_object", None)  # one process: no collective at all
    _check_same_batches_on_every_rank(list(range(25)))


def test_an_epoch_run_checks_the_ranks_batches_before_its_first_iteration(
    cfg, monkeypatch: pytest.MonkeyPatch
) -> None:
    import runner_core.distributed as dist
    from runner_loops_standard import EpochBasedTrainLoop

    seen: list[int] = []

    class Count(Hook):
        def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
            seen.append(batch_idx)

    c = dict(cfg, val_dataloader=None, val_cfg=None, val_evaluator=None)
    runner = Runner.from_cfg(Config(dict(c, custom_hooks=[Count()])))
    real_run = EpochBasedTrainLoop.run

    def two_ranks(loop):  # the Runner is built: only the loop sees a second rank
        monkeypatch.setattr(dist, "get_world_size", lambda: 2)
        monkeypatch.setattr(dist, "all_gather_object", lambda n: [n, n + 1])
        return real_run(loop)

    monkeypatch.setattr(EpochBasedTrainLoop, "run", two_ranks)
    with pytest.raises(ConfigError, match="different number of batches per epoch"):
        runner.train()
    assert seen == []
