"""``Runner.release_data_workers``: persistent data workers stop when a run is done with them."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from runner_core import Runner
from runner_core.hooks import Hook
from runner_core.model import ModuleAdapter


def _workers() -> set[int]:
    return {child.pid for child in multiprocessing.active_children() if child.pid is not None}


def _runner_with_persistent_workers(tmp_path: Path) -> Runner:
    x = torch.randn(16, 2, generator=torch.Generator().manual_seed(0))
    data = TensorDataset(x, x.sum(1, keepdim=True))
    loader = dict(dataset=data, batch_size=4, num_workers=2, persistent_workers=True)
    return Runner(
        model=ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),
        work_dir=str(tmp_path),
        train_dataloader=loader,
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        default_hooks=dict(logger=dict(progress_bar=False), checkpoint=None),
    )


def test_persistent_workers_stop_when_released_and_a_later_call_starts_new_ones(
    tmp_path: Path,
) -> None:
    before = _workers()
    runner = _runner_with_persistent_workers(tmp_path)
    runner.train()
    started = _workers() - before
    assert len(started) == 2  # persistent: alive after the run, until the Runner is collected
    runner.release_data_workers()
    assert not started & _workers()  # stopped and joined, not left for the collector
    runner.release_data_workers()  # nothing left: a no-op
    runner.train_loop.run_epoch()  # the loader starts workers again when iterated
    assert len(_workers() - before - started) == 2
    runner.release_data_workers()
    assert _workers() <= before


def test_a_dropped_runner_stops_its_workers_itself_and_is_freed(
    tmp_path: Path, monkeypatch
) -> None:
    """A notebook that reassigns `runner` without release_data_workers(): at the next full
    collection torch's own clean-up waited 5 s per persistent worker; the Runner's
    finalizer stops them first, and holds nothing that keeps the Runner alive."""
    import gc
    import weakref

    from runner_core.data import worker_shutdown

    stopped: list[object] = []
    original = worker_shutdown.shutdown_workers

    def recording(loader: object, **options: bool) -> bool:
        stopped.append(loader)
        return original(loader, **options)

    monkeypatch.setattr(worker_shutdown, "shutdown_workers", recording)
    before = _workers()
    runner = _runner_with_persistent_workers(tmp_path)
    runner.train()
    built = runner.train_dataloader
    started = _workers() - before
    assert len(started) == 2
    gone = weakref.ref(runner)
    del runner
    gc.collect()
    assert gone() is None  # freed: the finalizer keeps only the loaders
    assert any(s is built for s in stopped) and not started & _workers()


def test_a_loader_passed_built_is_the_callers_and_never_stopped(tmp_path: Path) -> None:
    """A notebook passes one DataLoader to Runner after Runner: freeing the first must
    not stop the workers the next one iterates (its second run did 3 of 8 iterations)."""
    import gc

    from torch.utils.data import DataLoader

    x = torch.randn(16, 2, generator=torch.Generator().manual_seed(0))
    loader = DataLoader(
        TensorDataset(x, x.sum(1, keepdim=True)),
        batch_size=4,
        num_workers=2,
        persistent_workers=True,
    )

    def build(name: str) -> Runner:
        return Runner(
            model=ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),
            work_dir=str(tmp_path / name),
            train_dataloader=loader,
            train_cfg=dict(by_epoch=True, max_epochs=1),
            optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
            default_hooks=dict(logger=dict(progress_bar=False), checkpoint=None),
        )

    first = build("a")
    first.train()
    iterator = loader._iterator
    assert iterator is not None  # its persistent workers
    first.release_data_workers()
    del first
    gc.collect()
    assert loader._iterator is iterator  # the caller's loader: left alone
    second = build("b")

    class Fails(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
            raise RuntimeError("boom")

    second.register_hook(Fails())
    with pytest.raises(RuntimeError, match="boom"):
        second.train()  # a failed call releases its own loaders' workers, not the caller's
    assert loader._iterator is iterator
    third = build("c")
    third.train()
    assert third.iter == 4


def test_a_new_runners_run_frees_an_earlier_one_the_process_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A notebook cell run again, or a sweep building a Runner per trial: the loops hold
    their runner (a cycle), so the old model, optimizer state and persistent workers
    stayed until Python's collector happened to run (workers 2 -> 4 -> 6 ... per re-run)."""
    import gc
    import weakref

    from runner_core.evaluator.accuracy import Accuracy
    from runner_core.runner import dropped

    monkeypatch.setattr(dropped, "enabled", True)  # the suite turns it off

    def build(name: str) -> Runner:
        x = torch.randn(32, 4, generator=torch.Generator().manual_seed(0))
        data = TensorDataset(x, (x.sum(1) > 0).long())
        loader = dict(dataset=data, batch_size=8, num_workers=2, persistent_workers=True)
        return Runner(
            model=ModuleAdapter(nn.Linear(4, 2), loss_fn=nn.functional.cross_entropy),
            work_dir=str(tmp_path / name),
            train_dataloader=loader,
            val_dataloader=loader,
            val_evaluator=Accuracy(),
            train_cfg=dict(by_epoch=True, max_epochs=1, val_interval=1),
            val_cfg=dict(),
            optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
            default_hooks=dict(logger=dict(progress_bar=False)),
        )

    gc.collect()
    before = _workers()
    gc.disable()  # the collector runs only when the Runner runs it
    try:
        runner = build("first")
        runner.train()
        started = _workers() - before
        assert len(started) == 4  # persistent: the train and val loaders' workers
        gone = weakref.ref(runner)
        runner = build("second")  # the cell run again
        assert gone() is not None  # the name still held it while the new one was built
        runner.train()
        assert gone() is None
        assert not started & _workers()
    finally:
        gc.enable()
