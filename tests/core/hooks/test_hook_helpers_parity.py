"""``Hook``'s helpers for custom hooks answer as MMEngine 0.10.7's do.

The expected values were read from MMEngine runs of the same hooks (a probe
hook calling every helper at every point of a 3-epoch run with validation
and test): the answers, the epochs/iterations they see and the points the
mode-generic helpers reach were identical, apart from the two fixed here.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, IterableDataset, TensorDataset

from runner_core import Runner
from runner_core.errors import HookTypeError
from runner_core.hooks import Hook


def at(epoch: int = 0, it: int = 0, max_epochs: int = 3, max_iters: int = 12) -> Any:
    return SimpleNamespace(epoch=epoch, iter=it, max_epochs=max_epochs, max_iters=max_iters)


def test_every_n_counts_the_start_epoch_and_iteration_itself() -> None:
    """MMEngine: ``(epoch + 1 - start) % n == 0`` for ``epoch + 1 >= start``; so
    ``CheckpointHook``-style ``every_n_epochs(runner, interval, save_begin)`` fires
    at ``save_begin`` itself."""
    hook = Hook()
    # epoch index 2 is the third epoch: start=3 counts it, then every n from there
    assert hook.every_n_epochs(at(epoch=2), 2, start=3)
    assert not hook.every_n_epochs(at(epoch=3), 2, start=3)
    assert hook.every_n_epochs(at(epoch=4), 2, start=3)
    assert not hook.every_n_epochs(at(epoch=1), 2, start=3)  # before start
    assert hook.every_n_epochs(at(epoch=0), 1, start=1)
    assert hook.every_n_train_iters(at(it=0), 3, start=1)
    assert hook.every_n_train_iters(at(it=3), 3, start=1)
    assert not hook.every_n_train_iters(at(it=1), 3, start=1)
    assert hook.every_n_train_iters(at(it=1), 2, start=2)


@pytest.mark.parametrize("n", [0, -1])
def test_every_n_is_false_for_n_below_one(n: int) -> None:
    hook = Hook()
    assert not hook.every_n_epochs(at(epoch=2), n)
    assert not hook.every_n_train_iters(at(it=5), n, start=6)
    assert not hook.every_n_inner_iters(3, n)


def test_last_epoch_and_iteration_predicates() -> None:
    hook = Hook()
    assert hook.is_last_train_epoch(at(epoch=2, max_epochs=3))
    assert not hook.is_last_train_epoch(at(epoch=1, max_epochs=3))
    assert hook.is_last_train_iter(at(it=11, max_iters=12))
    assert not hook.is_last_train_iter(at(it=10, max_iters=12))
    assert hook.end_of_epoch(list(range(4)), 3) and not hook.end_of_epoch(list(range(4)), 2)


class _Stream(IterableDataset):
    def __iter__(self) -> Any:
        return iter(range(4))


def test_end_of_epoch_of_a_dataloader_without_length_says_why() -> None:
    """MMEngine's ``len()`` raises a bare TypeError; ours is one too, saying what to do."""
    with pytest.raises(HookTypeError, match=r"DataLoader over _Stream has no len\(\).*after_"):
        Hook().end_of_epoch(DataLoader(_Stream()), 0)
    with pytest.raises(TypeError, match="generator has no len"):
        Hook().end_of_epoch((i for i in range(3)), 0)


def _run(tmp_path: Any, hook: Hook) -> None:
    data = TensorDataset(torch.randn(8, 4), torch.randint(0, 2, (8,)))
    loader = dict(dataset=data, batch_size=4)
    runner = Runner(
        model=nn.Linear(4, 2),
        work_dir=str(tmp_path),
        train_dataloader=loader,
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        val_dataloader=loader,
        val_evaluator=dict(type="Accuracy"),
        test_dataloader=loader,
        test_evaluator=dict(type="Accuracy"),
        custom_hooks=[hook],
        default_hooks=dict(checkpoint=None),
    )
    runner.train()
    runner.test()


def test_after_iter_helper_gets_its_arguments_by_name(tmp_path: Any) -> None:
    """MMEngine calls ``self._after_iter(runner, batch_idx=..., data_batch=...,
    outputs=..., mode=...)``: an override taking ``**kwargs`` works there."""
    seen: list[tuple[str, int, list[str]]] = []

    class ByName(Hook):
        def _after_iter(self, runner: Any, **kwargs: Any) -> None:  # type: ignore[override]
            seen.append((kwargs["mode"], kwargs["batch_idx"], sorted(kwargs)))

    _run(tmp_path, ByName())
    keys = ["batch_idx", "data_batch", "mode", "outputs"]
    assert seen == [
        ("train", 0, keys),
        ("train", 1, keys),
        ("val", 0, keys),
        ("val", 1, keys),
        ("test", 0, keys),
        ("test", 1, keys),
    ]


def test_only_the_mode_generic_helpers_reach_train_val_and_test(tmp_path: Any) -> None:
    seen: list[tuple[str, str]] = []

    class Generic(Hook):
        def _before_epoch(self, runner: Any, mode: str = "train") -> None:
            seen.append(("before_epoch", mode))

        def _after_epoch(self, runner: Any, mode: str = "train") -> None:
            seen.append(("after_epoch", mode))

        def _before_iter(
            self, runner: Any, batch_idx: int, data_batch: Any = None, mode: str = "train"
        ) -> None:
            if batch_idx == 0:
                seen.append(("before_iter", mode))

    _run(tmp_path, Generic())
    assert seen == [
        ("before_epoch", "train"),
        ("before_iter", "train"),
        ("after_epoch", "train"),
        ("before_epoch", "val"),
        ("before_iter", "val"),
        ("after_epoch", "val"),
        ("before_epoch", "test"),
        ("before_iter", "test"),
        ("after_epoch", "test"),
    ]
