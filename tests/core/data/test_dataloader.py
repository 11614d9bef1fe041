"""build_dataloader: configs, clear errors, and worker seeding that leaves the global RNG alone."""

from __future__ import annotations

import pickle
import random
from typing import Any

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from runner_core.data.collate import pseudo_collate
from runner_core.data.dataloader import WorkerSeeder, build_dataloader
from runner_core.data.sampler import DefaultSampler
from runner_core.errors import ConfigError
from runner_core.registry import DATASETS


class RangeDataset(Dataset):
    def __init__(self, size: int = 10) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> torch.Tensor:
        return torch.tensor(index)


class RandomDataset(Dataset):
    """Each item draws from python random, numpy and torch: the worker seeding decides it."""

    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int) -> torch.Tensor:
        return torch.tensor([random.random(), float(np.random.rand()), torch.rand(()).item()])


class EmptyDataset(Dataset):
    def __len__(self) -> int:
        return 0

    def __getitem__(self, index: int) -> int:  # pragma: no cover
        raise IndexError(index)


def test_builds_from_a_config_with_the_default_sampler() -> None:
    loader = build_dataloader(
        dict(
            dataset=RangeDataset(10),
            sampler=dict(type="DefaultSampler", shuffle=True),
            batch_size=4,
        ),
        seed=3,
    )
    assert isinstance(loader, DataLoader)
    assert isinstance(loader.sampler, DefaultSampler) and loader.sampler.seed == 3
    batches = [b.tolist() for b in loader]
    order = list(DefaultSampler(RangeDataset(10), seed=3, rank=0, world_size=1))
    assert batches == [order[0:4], order[4:8], order[8:10]]


def test_dataset_from_registry_or_class_type() -> None:
    DATASETS.register_module(name="_TestRangeDataset", module=RangeDataset, force=True)
    loader = build_dataloader(
        dict(dataset=dict(type="_TestRangeDataset", size=6), batch_size=3), seed=0
    )
    assert len(loader) == 2
    loader = build_dataloader(dict(dataset=dict(type=RangeDataset, size=5), batch_size=5), seed=0)
    assert [b.tolist() for b in loader] == [[0, 1, 2, 3, 4]]  # no sampler: not shuffled


def test_a_dataloader_passes_through() -> None:
    loader = DataLoader(RangeDataset(3))
    assert build_dataloader(loader) is loader


def test_collate_fn_by_name_dict_or_callable() -> None:
    base = dict(dataset=RangeDataset(4), batch_size=2)
    for spec in ("pseudo_collate", dict(type="pseudo_collate"), pseudo_collate):
        batch = next(iter(build_dataloader({**base, "collate_fn": spec}, seed=0)))
        assert isinstance(batch, list) and len(batch) == 2
    default = next(iter(build_dataloader(base, seed=0)))
    assert isinstance(default, torch.Tensor)


def test_top_level_shuffle_without_sampler_shuffles() -> None:
    loader = build_dataloader(dict(dataset=RangeDataset(10), batch_size=10, shuffle=True), seed=1)
    assert next(iter(loader)).tolist() == list(
        DefaultSampler(RangeDataset(10), seed=1, rank=0, world_size=1)
    )


@pytest.mark.parametrize("bad", [0, -2, 1.5, True])
def test_bad_batch_size_names_the_key_and_value(bad: object) -> None:
    with pytest.raises(ConfigError, match=rf"train_dataloader\.batch_size .*got {bad!r}"):
        build_dataloader(
            dict(dataset=RangeDataset(), batch_size=bad), seed=0, key_path="train_dataloader"
        )


def test_empty_dataset_names_the_class_and_key() -> None:
    with pytest.raises(ConfigError, match=r"val_dataloader\.dataset \(EmptyDataset\) is empty"):
        build_dataloader(
            dict(dataset=EmptyDataset(), batch_size=1), seed=0, key_path="val_dataloader"
        )


def test_missing_dataset_is_an_error() -> None:
    with pytest.raises(ConfigError, match="has no 'dataset'"):
        build_dataloader(dict(batch_size=1), seed=0)


def test_shuffle_next_to_a_sampler_is_an_error() -> None:
    with pytest.raises(ConfigError, match="shuffle=True and a sampler"):
        build_dataloader(
            dict(
                dataset=RangeDataset(),
                batch_size=2,
                shuffle=True,
                sampler=dict(type="DefaultSampler"),
            ),
            seed=0,
            key_path="train_dataloader",
        )


def test_unknown_option_suggests_the_right_one() -> None:
    with pytest.raises(
        ConfigError, match=r"train_dataloader\.num_worker .*Did you mean.*'num_workers'"
    ):
        build_dataloader(
            dict(dataset=RangeDataset(), batch_size=2, num_worker=2),
            seed=0,
            key_path="train_dataloader",
        )


def test_a_config_dict_in_a_tuple_is_refused_naming_the_trailing_comma() -> None:
    """``train_ds = dict(...),`` makes a tuple: it was taken as a one-sample dataset (or a
    sampler), and training failed in the model or with an index error."""
    DATASETS.register_module(name="TupleRangeDataset", module=RangeDataset, force=True)
    dataset = dict(type="TupleRangeDataset")
    cases = [
        (dict(dataset=(dataset,), batch_size=2), r"train_dataloader\.dataset is a tuple of 1"),
        (
            dict(dataset=dataset, batch_size=2, sampler=(dict(type="DefaultSampler"),)),
            r"train_dataloader\.sampler is a tuple of 1",
        ),
    ]
    for cfg, said in cases:
        with pytest.raises(ConfigError, match=said) as info:
            build_dataloader(cfg, seed=0, key_path="train_dataloader")
        assert isinstance(info.value, TypeError) and "trailing comma" in str(info.value)
    with pytest.raises(ConfigError, match="ConcatDataset"):
        build_dataloader(
            dict(dataset=[dataset, dataset], batch_size=2), seed=0, key_path="train_dataloader"
        )


def test_unknown_sampler_type_names_the_key() -> None:
    with pytest.raises(KeyError, match=r"DefaultSampling.*train_dataloader\.sampler\.type"):
        build_dataloader(
            dict(dataset=RangeDataset(), batch_size=2, sampler=dict(type="DefaultSampling")),
            seed=0,
            key_path="train_dataloader",
        )


def test_worker_options_without_workers_are_dropped() -> None:
    loader = build_dataloader(
        dict(
            dataset=RangeDataset(4),
            batch_size=2,
            num_workers=0,
            persistent_workers=True,
            prefetch_factor=2,
        ),
        seed=0,
    )
    assert loader.persistent_workers is False


def test_batch_sampler_config() -> None:
    loader = build_dataloader(
        dict(
            dataset=RangeDataset(5),
            batch_size=2,
            sampler=dict(type="DefaultSampler", shuffle=False),
            batch_sampler=dict(type=torch.utils.data.BatchSampler, drop_last=True),
        ),
        seed=0,
    )
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3]]


def test_drop_last_false_beside_a_batch_sampler_is_torchs_default_not_a_conflict() -> None:
    """A _base_ config's drop_last=False (MMEngine and torch accept it with a batch sampler)
    was refused; True still is, since the batch sampler decides that."""
    from runner_core.errors import ConfigError

    cfg = dict(
        dataset=RangeDataset(5),
        batch_size=2,
        sampler=dict(type="DefaultSampler", shuffle=False),
        batch_sampler=dict(type=torch.utils.data.BatchSampler, drop_last=False),
    )
    loader = build_dataloader({**cfg, "drop_last": False}, seed=0)
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3], [4]]
    with pytest.raises(ConfigError, match="sets both drop_last and a batch_sampler"):
        build_dataloader({**cfg, "drop_last": True}, seed=0)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_iter_leaves_the_global_torch_rng_unchanged(num_workers: int) -> None:
    loader = build_dataloader(
        dict(
            dataset=RangeDataset(8),
            sampler=dict(type="DefaultSampler", shuffle=True),
            batch_size=4,
            num_workers=num_workers,
        ),
        seed=123,
    )
    torch.manual_seed(0)
    before = torch.get_rng_state()
    iterator = iter(loader)
    assert torch.equal(torch.get_rng_state(), before)
    batches = list(iterator)
    assert len(batches) == 2
    assert torch.equal(torch.get_rng_state(), before)


def _random_epoch(loader: DataLoader, epoch: int) -> torch.Tensor:
    owner = loader.batch_sampler if hasattr(loader.batch_sampler, "set_epoch") else loader.sampler
    owner.set_epoch(epoch)
    return torch.cat(list(loader))


def test_worker_randomness_depends_on_seed_and_epoch_only() -> None:
    cfg = dict(
        dataset=RandomDataset(),
        sampler=dict(type="DefaultSampler", shuffle=False),
        batch_size=2,
        num_workers=2,
    )
    first = build_dataloader(cfg, seed=5)
    a0, a1 = _random_epoch(first, 0), _random_epoch(first, 1)
    torch.manual_seed(999)
    random.seed(999)  # the global streams do not matter
    second = build_dataloader(cfg, seed=5)
    # a fresh loader (a resumed run) at epoch 1 gives exactly what epoch 1 gave before
    assert torch.equal(_random_epoch(second, 1), a1)
    assert not torch.equal(a0, a1)
    assert not torch.equal(_random_epoch(build_dataloader(cfg, seed=6), 1), a1)


def test_worker_seeds_differ_by_rank_and_worker() -> None:
    seeds = {
        WorkerSeeder(1, rank).worker_seeds(worker)[2] for rank in range(2) for worker in range(3)
    }
    assert len(seeds) == 6
    assert WorkerSeeder(1, 0).worker_seeds(0) == WorkerSeeder(1, 0).worker_seeds(0)


def test_rank_and_world_size_reach_the_sampler_and_the_workers() -> None:
    loader = build_dataloader(
        dict(dataset=RangeDataset(10), batch_size=2, sampler=dict(type="DefaultSampler")),
        seed=0,
        rank=1,
        world_size=2,
    )
    assert (loader.sampler.rank, loader.sampler.world_size) == (1, 2)
    assert loader.worker_init_fn.rank == 1
    assert len(loader) == 3


def test_worker_seeder_pickles_the_epoch_not_the_sampler() -> None:
    sampler = DefaultSampler(RangeDataset(4), seed=0, rank=0, world_size=1)
    sampler.set_epoch(6)
    seeder = WorkerSeeder(1, 0, sampler)
    clone = pickle.loads(pickle.dumps(seeder))  # what a spawned worker receives
    assert clone.sampler is None and clone.epoch == 6
    assert clone.worker_seeds(0) == seeder.worker_seeds(0)


def test_user_worker_init_fn_runs_after_seeding() -> None:
    called = []
    seeder = WorkerSeeder(0, 0, user_fn=called.append)
    state = torch.get_rng_state()
    try:
        seeder(1)
    finally:
        torch.set_rng_state(state)
    assert called == [1]


def test_worker_augmentation_is_per_batch_so_a_resumed_epoch_matches() -> None:
    """Batches reseed workers from their own seed: a mid-epoch start loads the
    remaining batches with exactly the randomness of an uninterrupted epoch,
    whatever the number of workers."""
    cfg = dict(
        dataset=RandomDataset(),
        sampler=dict(type="DefaultSampler", shuffle=True),
        batch_size=2,
        num_workers=2,
    )
    full = list(build_dataloader(cfg, seed=5))
    resumed_loader = build_dataloader({**cfg, "num_workers": 3}, seed=5)
    resumed_loader.batch_sampler.set_start(2)
    tail = list(resumed_loader)
    assert len(tail) == len(full) - 2
    for got, want in zip(tail, full[2:]):
        assert torch.equal(got, want)


def test_augmentation_does_not_depend_on_num_workers() -> None:
    """Without workers each batch is loaded under the seed a worker would use."""
    cfg = dict(
        dataset=RandomDataset(),
        sampler=dict(type="DefaultSampler", shuffle=True),
        batch_size=2,
    )
    by_workers = [list(build_dataloader({**cfg, "num_workers": n}, seed=5)) for n in (0, 1, 2)]
    for other in by_workers[1:]:
        assert all(torch.equal(a, b) for a, b in zip(by_workers[0], other))
    resumed = build_dataloader({**cfg, "num_workers": 0}, seed=5)
    resumed.batch_sampler.set_start(1)
    assert all(torch.equal(a, b) for a, b in zip(list(resumed), by_workers[0][1:]))


def test_a_batch_sampler_of_the_configs_loads_each_batch_under_its_own_seed() -> None:
    """mmdet's AspectRatioBatchSampler with persistent workers: the workers were seeded
    once, when they start, so a run resumed in epoch 2 (workers started there) augmented
    differently from the uninterrupted run (workers started in epoch 1)."""
    cfg = dict(
        dataset=RandomDataset(),
        sampler=dict(type="DefaultSampler", shuffle=True),
        batch_sampler=dict(type=torch.utils.data.BatchSampler, drop_last=False),
        batch_size=2,
        num_workers=2,
        persistent_workers=True,
    )

    def epoch_of(loader: DataLoader, epoch: int) -> list[torch.Tensor]:
        loader.batch_sampler.sampler.set_epoch(epoch)
        return list(loader)

    uninterrupted = build_dataloader(cfg, seed=5)
    epoch_of(uninterrupted, 0)
    second = epoch_of(uninterrupted, 1)
    resumed = build_dataloader(cfg, seed=5)  # its workers start in epoch 2
    again = epoch_of(resumed, 1)
    assert all(torch.equal(a, b) for a, b in zip(second, again, strict=True))
    assert isinstance(resumed.batch_sampler.sampler, DefaultSampler)  # the wrapped one's


def test_loading_without_workers_leaves_the_python_and_torch_streams_where_they_were() -> None:
    """Dropout and other torch draws of the model go on as if no data had been loaded."""
    loader = build_dataloader(dict(dataset=RandomDataset(), batch_size=2), seed=5)
    random.seed(1)
    torch.manual_seed(1)
    expected = (random.random(), torch.rand(()).item())
    random.seed(1)
    torch.manual_seed(1)
    batches = list(loader)
    assert len(batches) == 4
    assert (random.random(), torch.rand(()).item()) == expected


def test_a_sampler_drawing_from_torchs_stream_still_reshuffles_each_epoch() -> None:
    """Without workers, a torch RandomSampler is not drawn under a batch's seed."""
    loader = build_dataloader(
        dict(
            dataset=RangeDataset(8),
            sampler=torch.utils.data.RandomSampler(RangeDataset(8)),
            batch_size=8,
        ),
        seed=5,
    )
    torch.manual_seed(0)
    orders = [next(iter(loader)).tolist() for _ in range(3)]
    assert len({tuple(o) for o in orders}) == 3


@pytest.mark.parametrize("num_workers", [0, 2])
def test_a_sampler_without_set_start_resumes_by_skipping(num_workers: int) -> None:
    from runner_core.data.positions import iter_from

    loader = build_dataloader(
        dict(
            dataset=RangeDataset(8),
            sampler=torch.utils.data.SequentialSampler(RangeDataset(8)),
            batch_size=2,
            num_workers=num_workers,
        ),
        seed=5,
    )
    with pytest.warns(UserWarning, match="cannot start mid-epoch") as caught:
        batches = [b.tolist() for b in iter_from(loader, 2)]
    assert batches == [[4, 5], [6, 7]]
    # without the streams the epoch started with, it must not imply the order is right
    assert "the resumed data may differ" in str(caught[0].message)


class _PairBatches(torch.utils.data.Sampler):
    """A custom batch sampler (mmdet-style) without set_start."""

    def __init__(self, sampler: Any, batch_size: int = 2, drop_last: bool = False) -> None:
        self.sampler = sampler

    def __iter__(self) -> Any:
        indices = list(self.sampler)
        return iter([indices[i : i + 2] for i in range(0, len(indices), 2)])

    def __len__(self) -> int:
        return (len(self.sampler) + 1) // 2


def test_a_batch_sampler_that_cannot_start_mid_epoch_is_the_one_named() -> None:
    """DefaultSampler could start late; the custom batch sampler over it cannot."""
    from runner_core.data.positions import iter_from

    dataset = RangeDataset(8)
    loader = DataLoader(dataset, batch_sampler=_PairBatches(DefaultSampler(dataset, shuffle=False)))
    with pytest.warns(UserWarning, match="cannot start mid-epoch") as caught:
        batches = [b.tolist() for b in iter_from(loader, 2)]
    assert batches == [[4, 5], [6, 7]]
    message = str(caught[0].message)
    assert (
        "batch sampler (_PairBatches)" in message and "DefaultSampler" not in message.split(":")[0]
    )


def test_without_workers_a_dataset_gets_plain_index_lists() -> None:
    seen: list[type] = []

    class Batched(RangeDataset):
        def __getitems__(self, indices: list[int]) -> list[torch.Tensor]:
            seen.append(type(indices))
            return [torch.tensor(i) for i in indices]

    list(build_dataloader(dict(dataset=Batched(4), batch_size=2), seed=0))
    assert seen == [list, list]


def test_num_batch_per_epoch_limits_each_epoch_to_the_first_samples() -> None:
    """MMEngine's debugging key: an epoch of 2 batches over the first 2 * 2 * world samples."""

    def build() -> DataLoader:
        cfg = dict(
            dataset=RangeDataset(10),
            batch_size=2,
            num_batch_per_epoch=2,
            sampler=dict(type="DefaultSampler", shuffle=True),
        )
        return build_dataloader(cfg, seed=3, rank=1, world_size=2)

    loader = build()
    assert len(loader) == 2 and len(loader.dataset) == 8
    batches = [b.tolist() for b in loader]
    order = DefaultSampler(RangeDataset(8), seed=3, rank=1, world_size=2)
    assert [i for batch in batches for i in batch] == list(order)
    # a mid-epoch resume skips the first batch of the shortened epoch
    resumed = build()
    resumed.batch_sampler.set_start(1)
    assert [b.tolist() for b in resumed] == batches[1:]


def test_num_batch_per_epoch_keeps_the_dataset_attributes_and_never_overruns() -> None:
    dataset = RangeDataset(5)
    dataset.metainfo = dict(classes=["a"])
    loader = build_dataloader(
        dict(dataset=dataset, batch_size=4, num_batch_per_epoch=3, num_workers=1), seed=0
    )
    assert loader.dataset.metainfo == dict(classes=["a"]) and len(loader.dataset) == 5
    assert [b.tolist() for b in loader] == [[0, 1, 2, 3], [4]]
    # MMEngine users' samplers unwrap its _SlicedDataset through `_dataset`
    assert loader.dataset._dataset is dataset
    infinite = build_dataloader(
        dict(
            dataset=RangeDataset(10),
            batch_size=2,
            num_batch_per_epoch=1,
            sampler=dict(type="InfiniteSampler", shuffle=False),
        ),
        seed=0,
    )
    stream = iter(infinite)
    assert [next(stream).tolist() for _ in range(3)] == [[0, 1], [0, 1], [0, 1]]


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2"])
def test_bad_num_batch_per_epoch_names_the_key(bad: object) -> None:
    with pytest.raises(ConfigError, match="val_dataloader.num_batch_per_epoch=.* is not valid"):
        build_dataloader(
            dict(dataset=RangeDataset(4), num_batch_per_epoch=bad), key_path="val_dataloader"
        )


def test_disable_subprocess_warning_silences_warnings_in_later_workers() -> None:
    import warnings

    loader = build_dataloader(
        dict(dataset=RangeDataset(4), batch_size=2, disable_subprocess_warning=True), seed=0
    )
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3]]
    assert loader.worker_init_fn.quiet is True
    state = torch.get_rng_state()
    try:
        with warnings.catch_warnings():
            before = list(warnings.filters)
            loader.worker_init_fn(0)  # the first worker still warns
            assert warnings.filters == before
            loader.worker_init_fn(1)
            assert warnings.filters[0] == ("ignore", None, Warning, None, 0)
    finally:
        torch.set_rng_state(state)
    with pytest.raises(ConfigError, match="disable_subprocess_warning must be True or False"):
        build_dataloader(dict(dataset=RangeDataset(4), disable_subprocess_warning="yes"))


def _boom(results: dict) -> dict:
    raise ValueError("bad image")


class _FailingPipelineDataset(Dataset):
    def __init__(self) -> None:
        from runner_core.dataset import Compose

        self.pipeline = Compose([lambda r: r, _boom])

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> Any:
        return self.pipeline({"x": index})


@pytest.mark.parametrize("num_workers", [0, 2])
def test_a_failing_transform_keeps_its_message_and_is_named(num_workers: int) -> None:
    """In a worker the error comes back as its formatted traceback, whose last line was
    the new note: the message became 'Raised in pipeline[1] (_boom).'."""
    loader = build_dataloader(
        dict(dataset=_FailingPipelineDataset(), batch_size=2, num_workers=num_workers), seed=1
    )
    with pytest.raises(ValueError) as err:
        list(loader)
    assert err.value.args == ("bad image",)
    assert "Raised in pipeline[1] (_boom)." in err.value.__notes__
