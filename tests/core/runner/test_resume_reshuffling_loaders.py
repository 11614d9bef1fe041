"""Resuming with loaders that draw their order from the global random streams.

A user-built ``DataLoader(shuffle=True)``, a sampler using ``torch.randperm``
or an ``IterableDataset`` shuffling with ``random`` cannot start mid-pass:
their batches are loaded and skipped, and their order is drawn when the
iterator starts. A resume inside a pass must draw it under the streams that
pass started with (stored in the checkpoint), or say that it cannot. A
user-built loader with persistent workers draws its workers' seed once; a
resume at an epoch boundary must keep the order of the uninterrupted run.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset

from runner_core import Runner
from runner_core.data import default_collate
from runner_core.model import BaseModel


class Points(Dataset):
    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"inputs": torch.tensor([float(i)])}


class ShuffledStream(IterableDataset):
    """8 samples in an order drawn from python's ``random`` when iteration starts."""

    def __len__(self) -> int:
        return 8

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        order = list(range(8))
        random.shuffle(order)
        return iter([{"inputs": torch.tensor([float(i)])} for i in order])


class Recorder(BaseModel):
    """Records each training batch's samples; the loss also draws from torch (dropout)."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = torch.nn.Linear(1, 1)
        self.seen: list[list[int]] = []

    def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
        self.seen.append([int(v) for v in inputs.flatten().tolist()])
        out = torch.nn.functional.dropout(self.lin(inputs), 0.5, training=True)
        return {"loss": out.pow(2).mean()}


def _user_loader(**kw: Any) -> DataLoader:
    return DataLoader(Points(), batch_size=4, shuffle=True, collate_fn=default_collate, **kw)


LOADERS = {
    "DataLoader(shuffle=True)": lambda: _user_loader(),
    "IterableDataset": lambda: dict(
        dataset=ShuffledStream(),
        batch_size=4,
        sampler=None,
        collate_fn=dict(type="default_collate"),
    ),
}


def _train(work_dir: Path, loader: Any, train_cfg: dict, ckpt: dict, resume: str | None = None):
    model = Recorder()
    runner = Runner(
        model=model,
        work_dir=str(work_dir),
        train_dataloader=loader,
        train_cfg=train_cfg,
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01)),
        default_hooks=dict(checkpoint=dict(type="CheckpointHook", **ckpt)),
        randomness=dict(seed=0),
        resume=resume or False,
        log_level="WARNING",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runner.train()
    return model.seen, [str(w.message) for w in caught]


MID_PASS = {
    # iteration loop: checkpoint after iteration 3, inside data pass 2 (2 batches a pass)
    "iter": (dict(by_epoch=False, max_iters=6, val_interval=100), "iter_3.pth", 3),
    # epoch loop: checkpoint after iteration 3, inside epoch 2
    "epoch": (dict(by_epoch=True, max_epochs=3), "iter_3.pth", 3),
}


@pytest.mark.parametrize("loop", list(MID_PASS))
@pytest.mark.parametrize("loader", list(LOADERS))
def test_a_resume_mid_pass_trains_the_uninterrupted_order(tmp_path, loader, loop) -> None:
    train_cfg, name, done = MID_PASS[loop]
    ckpt = dict(interval=3, by_epoch=False)
    straight, _ = _train(tmp_path / "a", LOADERS[loader](), train_cfg, ckpt)
    resumed, caught = _train(
        tmp_path / "b", LOADERS[loader](), train_cfg, ckpt, resume=str(tmp_path / "a" / name)
    )
    assert resumed == straight[done:]
    skipped = [m for m in caught if "cannot start mid-epoch" in m]
    assert len(skipped) == 1 and "put back as they were when the epoch started" in skipped[0]
    assert "may still differ" in skipped[0]


def test_a_checkpoint_without_the_pass_streams_says_the_order_may_differ(tmp_path) -> None:
    """Older (and MMEngine's) checkpoints do not hold them: the warning must not claim
    the resumed data is right."""
    train_cfg, ckpt = MID_PASS["iter"][0], dict(interval=3, by_epoch=False)
    _train(tmp_path / "a", _user_loader(), train_cfg, ckpt)
    path = tmp_path / "a" / "iter_3.pth"
    saved = torch.load(path, weights_only=False)
    assert "pass_rng" in saved["loop"]
    del saved["loop"]["pass_rng"]
    torch.save(saved, path)
    _, caught = _train(tmp_path / "b", _user_loader(), train_cfg, ckpt, resume=str(path))
    skipped = [m for m in caught if "cannot start mid-epoch" in m]
    assert len(skipped) == 1 and "the resumed data may differ" in skipped[0]


def test_a_resumable_sampler_stores_no_pass_streams(tmp_path) -> None:
    """DefaultSampler starts mid-pass by itself: no copy of the streams per pass."""
    loader = dict(
        dataset=Points(),
        batch_size=4,
        sampler=dict(type="DefaultSampler", shuffle=True),
        collate_fn=dict(type="default_collate"),
    )
    _train(tmp_path / "a", loader, MID_PASS["iter"][0], dict(interval=3, by_epoch=False))
    saved = torch.load(tmp_path / "a" / "iter_3.pth", weights_only=True)
    assert "pass_rng" not in saved["loop"]


def test_a_user_loader_with_persistent_workers_resumes_its_order(tmp_path) -> None:
    """Its workers' seed is drawn from torch's stream once, in the first epoch: a run
    resumed at epoch 2 must not draw it from the stream the order comes from, and must
    say that the workers' own random draws cannot go on exactly."""

    def loader() -> DataLoader:
        return _user_loader(num_workers=2, persistent_workers=True)

    train_cfg, ckpt = dict(by_epoch=True, max_epochs=3), dict(interval=1)
    straight, _ = _train(tmp_path / "a", loader(), train_cfg, ckpt)
    resumed, caught = _train(
        tmp_path / "b", loader(), train_cfg, ckpt, resume=str(tmp_path / "a" / "epoch_1.pth")
    )
    assert resumed == straight[2:]
    assert (
        sum(
            "persistent_workers=True" in m and "build the loader from a config" in m for m in caught
        )
        == 1
    )


def _config_loader(sampler: Any, num_workers: int) -> dict:
    return dict(
        dataset=Points(),
        batch_size=4,
        sampler=sampler,
        num_workers=num_workers,
        collate_fn=dict(type="default_collate"),
    )


def _resume_warning(saved_workers: int, workers: int, sampler: Any, saved: Any = ...) -> list[str]:
    """What a resume logs about seeding: a checkpoint's record (``saved``; default: the
    one a loader with ``saved_workers`` writes) against a loader with ``workers``."""
    from types import SimpleNamespace

    from runner_core.data.dataloader import build_dataloader
    from runner_core.runner.checkpointing import _batch_seeding, _warn_if_seeding_changed

    def loop(n: int) -> SimpleNamespace:  # building starts no workers
        loader = build_dataloader(_config_loader(sampler, n), seed=0, rank=0, world_size=1)
        return SimpleNamespace(dataloader=loader)

    if saved is ...:
        saved = _batch_seeding(loop(saved_workers))
    messages: list[str] = []
    logger = SimpleNamespace(warning=lambda msg, *args: messages.append(msg % args))
    _warn_if_seeding_changed(SimpleNamespace(logger=logger), loop(workers), saved, "c.pth")
    return messages


@pytest.mark.parametrize(("before", "after"), [(2, 0), (0, 2)])
def test_a_resume_that_switches_per_batch_seeding_says_so(before: int, after: int) -> None:
    """A sampler without set_start has its batches seeded one by one only with workers:
    resumed between 0 and some workers, its order went on but augmentations differed,
    silently (QA: loss 1.9835 uninterrupted, 2.0187 resumed)."""
    sampler = torch.utils.data.RandomSampler(Points())
    [message] = _resume_warning(before, after, sampler)
    assert message.startswith("Resuming from c.pth: train_dataloader ")
    assert f"saved it (num_workers={before})" in message
    assert f"this one (num_workers={after})" in message
    assert "sampler (RandomSampler) without set_start" in message
    assert f"resume with num_workers={before}; a new run with a sampler that has set_start" in (
        message
    )


def test_a_resume_that_keeps_per_batch_seeding_is_quiet() -> None:
    # DefaultSampler seeds every batch with any num_workers; 2 -> 1 workers seed alike;
    # a checkpoint saved before the record was kept says nothing
    assert _resume_warning(2, 0, dict(type="DefaultSampler", shuffle=True)) == []
    assert _resume_warning(2, 1, torch.utils.data.RandomSampler(Points())) == []
    assert _resume_warning(2, 0, torch.utils.data.RandomSampler(Points()), saved=None) == []


def test_a_checkpoint_records_how_the_loader_seeds_its_batches(tmp_path) -> None:
    sampler = torch.utils.data.RandomSampler(Points())
    train_cfg, ckpt = MID_PASS["iter"][0], dict(interval=3, by_epoch=False)
    _train(tmp_path / "a", _config_loader(sampler, 0), train_cfg, ckpt)
    saved = torch.load(tmp_path / "a" / "iter_3.pth", weights_only=True)
    # beside the loop's position: a loop's own load_state_dict never gets it
    assert saved["batch_seeding"] == {"num_workers": 0, "per_batch": False}
    assert "batch_seeding" not in saved["loop"]
