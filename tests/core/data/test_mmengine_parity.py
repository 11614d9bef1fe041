"""``build_dataloader`` and the samplers where MMEngine 0.10.7 users expect its behaviour."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch.utils.data import Dataset

from runner_core.data.dataloader import build_dataloader
from runner_core.data.sampler import DefaultSampler, InfiniteSampler
from runner_core.registry import DATA_SAMPLERS, DATASETS


class Numbers(Dataset):
    def __init__(self, size: int = 6) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> int:
        return index


class NoLength:
    """Map-style, but without ``__len__`` (its sampler knows the indices)."""

    def __getitem__(self, index: int) -> int:
        return index * 10


class FirstThree:
    """A sampler that never asks its dataset for a length."""

    def __init__(self, dataset: object, seed: int | None = None) -> None:
        self.dataset = dataset

    def __iter__(self):
        return iter([0, 1, 2])

    def __len__(self) -> int:
        return 3


class CountsFullInit(Numbers):
    calls = 0

    def full_init(self) -> None:
        type(self).calls += 1


def _batches(loader) -> list[list[int]]:
    return [list(map(int, batch)) for batch in loader]


def test_infinite_sampler_keeps_mmengines_order_on_every_rank_and_when_resumed() -> None:
    """MMEngine draws every pass from one generator seeded once; a resumed stream replays it."""
    generator = torch.Generator().manual_seed(9)
    stream = [i for _ in range(4) for i in torch.randperm(5, generator=generator).tolist()]
    for rank in range(2):
        sampler = InfiniteSampler(Numbers(5), seed=9, rank=rank, world_size=2)
        assert list(itertools.islice(sampler, 10)) == stream[rank::2]
        sampler.set_start(7)  # this rank's 8th index lies in the third pass
        assert list(itertools.islice(sampler, 3)) == stream[rank::2][7:10]


def test_infinite_sampler_built_by_the_loader_gives_mmengines_batches() -> None:
    loader = build_dataloader(
        dict(
            dataset=Numbers(5),
            batch_size=2,
            sampler=dict(type="InfiniteSampler", shuffle=True, seed=0),
            collate_fn=dict(type="pseudo_collate"),
        ),
        seed=0,
    )
    batches = iter(loader)
    # MMEngine 0.10.7, same config
    expected = [[4, 0], [1, 3], [2, 3], [4, 0], [1, 2], [2, 4], [1, 3], [0, 1]]
    assert [list(map(int, next(batches))) for _ in range(8)] == expected


def test_a_dataset_built_from_a_config_is_fully_initialised() -> None:
    """MMEngine's build_dataloader calls ``full_init()`` (lazy_init datasets load here)."""
    DATASETS.register_module(name="_ParityFullInit", module=CountsFullInit, force=True)
    CountsFullInit.calls = 0
    build_dataloader(dict(dataset=dict(type="_ParityFullInit"), batch_size=2), seed=0)
    assert CountsFullInit.calls == 1
    build_dataloader(dict(dataset=CountsFullInit(), batch_size=2), seed=0)
    assert CountsFullInit.calls == 1  # an object is the user's: used as it is, as in MMEngine


def test_a_dataset_without_len_works_with_a_sampler_that_needs_none() -> None:
    DATA_SAMPLERS.register_module(name="_ParityFirstThree", module=FirstThree, force=True)
    loader = build_dataloader(
        dict(
            dataset=NoLength(),
            batch_size=2,
            sampler=dict(type="_ParityFirstThree"),
            collate_fn=dict(type="pseudo_collate"),
        ),
        seed=0,
    )
    assert _batches(loader) == [[0, 10], [20]]


@pytest.mark.parametrize("sampler", ["DefaultSampler", "InfiniteSampler"])
def test_a_standard_sampler_on_a_dataset_without_len_says_what_is_missing(sampler: str) -> None:
    cfg = dict(dataset=NoLength(), batch_size=2, sampler=dict(type=sampler))
    with pytest.raises(TypeError, match=rf"{sampler} needs a dataset with a length.*NoLength"):
        build_dataloader(cfg, seed=0)
    with pytest.raises(TypeError, match="NoLength has no __len__"):
        DefaultSampler(NoLength(), seed=0, rank=0, world_size=1)  # type: ignore[arg-type]


def test_num_batch_per_epoch_on_a_dataset_without_len_names_the_key() -> None:
    DATA_SAMPLERS.register_module(name="_ParityFirstThree", module=FirstThree, force=True)
    cfg = dict(
        dataset=NoLength(),
        batch_size=2,
        num_batch_per_epoch=1,
        sampler=dict(type="_ParityFirstThree"),
    )
    with pytest.raises(TypeError, match=r"train_dataloader\.num_batch_per_epoch.*NoLength"):
        build_dataloader(cfg, seed=0, key_path="train_dataloader")


def test_a_dataset_named_by_a_bare_string_is_refused() -> None:
    """A string has a length and items: it would otherwise load its characters."""
    with pytest.raises(TypeError, match=r"dataset=dict\(type='MyDataset'"):
        build_dataloader(dict(dataset="MyDataset", batch_size=2), seed=0)


def _fails(batch: list) -> None:
    raise ValueError("cannot stack")


def test_a_collate_error_names_the_batchs_sample_indices() -> None:
    loader = build_dataloader(
        dict(
            dataset=Numbers(6),
            batch_size=3,
            sampler=dict(type="DefaultSampler", shuffle=True, seed=1),
            collate_fn=_fails,
        ),
        seed=0,
        key_path="val_dataloader",
    )
    order = list(DefaultSampler(Numbers(6), seed=1, rank=0, world_size=1))
    with pytest.raises(ValueError, match="cannot stack") as info:
        next(iter(loader))
    notes = info.value.__notes__
    indices = ", ".join(map(str, order[:3]))
    assert notes == [
        f"while loading samples [{indices}] of Numbers (val_dataloader, batch 1/2; "
        "each sample loaded again alone without error: check collate_fn)"
    ]


class Sizes(Dataset):
    """Samples of different lengths, as an OpenMMLab dataset gives (pseudo_collate's job)."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> torch.Tensor:
        return torch.zeros(index + 1)


def test_a_default_collate_error_suggests_mmengines_pseudo_collate() -> None:
    loader = build_dataloader(
        dict(dataset=Sizes(), batch_size=2), seed=0, key_path="train_dataloader"
    )
    with pytest.raises(RuntimeError, match="stack expects") as info:
        next(iter(loader))
    (note,) = info.value.__notes__
    assert "train_dataloader collates with default_collate, the Runner's default" in note
    assert "write train_dataloader.collate_fn=dict(type='pseudo_collate')" in note
    loader = build_dataloader(
        dict(dataset=Sizes(), batch_size=2, collate_fn=dict(type="pseudo_collate")), seed=0
    )
    assert [len(t) for t in next(iter(loader))] == [1, 2]  # the lists the model then gets
