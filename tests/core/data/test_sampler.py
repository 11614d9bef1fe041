"""DefaultSampler / InfiniteSampler: seeded, split across ranks, resumable mid-epoch."""

from __future__ import annotations

import itertools

import pytest
import torch

from runner_core.data.sampler import DefaultSampler, InfiniteSampler


class CountingDataset:
    """A sized dataset that records which items were read."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.reads: list[int] = []

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> int:
        self.reads.append(index)
        return index


def test_same_seed_same_order_and_epochs_differ() -> None:
    ds = CountingDataset(50)
    a = DefaultSampler(ds, seed=7, rank=0, world_size=1)
    b = DefaultSampler(ds, seed=7, rank=0, world_size=1)
    assert list(a) == list(b)
    assert sorted(a) == list(range(50))
    epoch0 = list(a)
    a.set_epoch(1)
    b.set_epoch(1)
    assert list(a) == list(b) != epoch0
    assert list(DefaultSampler(ds, seed=8, rank=0, world_size=1)) != epoch0


def test_order_is_seed_plus_epoch_randperm() -> None:
    sampler = DefaultSampler(CountingDataset(20), seed=3, rank=0, world_size=1)
    sampler.set_epoch(4)
    expected = torch.randperm(20, generator=torch.Generator().manual_seed(7)).tolist()
    assert list(sampler) == expected


def test_iterating_does_not_touch_global_rng() -> None:
    state = torch.get_rng_state()
    list(DefaultSampler(CountingDataset(30), seed=1, rank=0, world_size=1))
    assert torch.equal(state, torch.get_rng_state())


def test_no_shuffle_is_dataset_order() -> None:
    assert list(
        DefaultSampler(CountingDataset(5), shuffle=False, seed=0, rank=0, world_size=1)
    ) == [
        0,
        1,
        2,
        3,
        4,
    ]


@pytest.mark.parametrize("world_size", [2, 3, 4])
def test_ranks_split_without_overlap_and_pad_when_rounding_up(world_size: int) -> None:
    ds = CountingDataset(10)
    per_rank = [
        list(DefaultSampler(ds, seed=5, rank=r, world_size=world_size)) for r in range(world_size)
    ]
    expected_len = -(-10 // world_size)
    assert all(len(part) == expected_len for part in per_rank)
    assert [
        len(DefaultSampler(ds, seed=5, rank=r, world_size=world_size)) for r in range(world_size)
    ] == [expected_len] * world_size
    full = torch.randperm(10, generator=torch.Generator().manual_seed(5)).tolist()
    padded = (full * 2)[: expected_len * world_size]
    assert per_rank == [padded[r::world_size] for r in range(world_size)]
    # every sample is seen; only the padding repeats the head of the order
    seen = [i for part in per_rank for i in part]
    assert set(seen) == set(range(10))
    assert len(seen) - len(set(seen)) == expected_len * world_size - 10


def test_without_round_up_ranks_are_disjoint_and_uneven() -> None:
    ds = CountingDataset(10)
    parts = [
        list(DefaultSampler(ds, seed=0, round_up=False, rank=r, world_size=3)) for r in range(3)
    ]
    assert [len(p) for p in parts] == [4, 3, 3]
    assert sorted(itertools.chain(*parts)) == list(range(10))
    assert [
        len(DefaultSampler(ds, round_up=False, seed=0, rank=r, world_size=3)) for r in range(3)
    ] == [4, 3, 3]


def test_seed_none_draws_one_seed() -> None:
    sampler = DefaultSampler(CountingDataset(10), seed=None, rank=0, world_size=1)
    assert isinstance(sampler.seed, int)
    assert list(sampler) == list(sampler)


def test_bad_rank_is_an_error() -> None:
    with pytest.raises(ValueError, match="rank=2 and world_size=2"):
        DefaultSampler(CountingDataset(4), seed=0, rank=2, world_size=2)


def test_mid_epoch_start_yields_exactly_the_tail_once() -> None:
    ds = CountingDataset(40)
    sampler = DefaultSampler(ds, seed=11, rank=1, world_size=2)
    sampler.set_epoch(2)
    whole = list(sampler)
    sampler.set_start(7)
    assert list(sampler) == whole[7:]
    assert list(sampler) == whole  # one iteration only
    assert ds.reads == []  # the sampler never reads data


def test_mid_epoch_start_does_not_load_skipped_samples_through_a_dataloader() -> None:
    ds = CountingDataset(24)
    sampler = DefaultSampler(ds, seed=0, rank=0, world_size=1)
    order = list(sampler)
    batch_size, consumed_batches = 4, 3
    sampler.set_start(consumed_batches * batch_size)
    loader = torch.utils.data.DataLoader(ds, batch_size=batch_size, sampler=sampler)
    batches = [b.tolist() for b in loader]
    assert batches == [order[i : i + 4] for i in range(12, 24, 4)]
    assert ds.reads == order[12:]


def test_state_dict_round_trip_resumes_the_same_order() -> None:
    ds = CountingDataset(30)
    sampler = DefaultSampler(ds, seed=21, rank=0, world_size=1)
    sampler.set_epoch(3)
    sampler.set_start(10)
    state = sampler.state_dict()
    assert state == {"epoch": 3, "seed": 21, "position": 10}
    expected = list(sampler)

    restored = DefaultSampler(ds, seed=999, rank=0, world_size=1)
    restored.load_state_dict(state)
    assert restored.seed == 21 and restored.epoch == 3
    assert list(restored) == expected


def test_negative_start_is_an_error() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        DefaultSampler(CountingDataset(3), seed=0, rank=0, world_size=1).set_start(-1)


def test_infinite_sampler_is_endless_and_split_across_ranks() -> None:
    ds = CountingDataset(7)
    stream = list(itertools.islice(InfiniteSampler(ds, seed=4, rank=0, world_size=1), 21))
    generator = torch.Generator().manual_seed(4)  # MMEngine's: one generator for all passes
    passes = [torch.randperm(7, generator=generator).tolist() for _ in range(3)]
    assert stream == passes[0] + passes[1] + passes[2]
    r0 = list(itertools.islice(InfiniteSampler(ds, seed=4, rank=0, world_size=2), 10))
    r1 = list(itertools.islice(InfiniteSampler(ds, seed=4, rank=1, world_size=2), 10))
    merged = [x for pair in zip(r0, r1) for x in pair]
    assert merged == stream[:20]
    sampler = InfiniteSampler(ds, seed=0, rank=0, world_size=2)
    assert len(sampler) == sampler.size == 7  # MMEngine's: len(dataset), and its `size`


def test_infinite_sampler_resumes_at_a_position() -> None:
    ds = CountingDataset(5)
    for rank in (0, 1):
        full = list(itertools.islice(InfiniteSampler(ds, seed=2, rank=rank, world_size=2), 30))
        sampler = InfiniteSampler(ds, seed=0, rank=rank, world_size=2)
        sampler.load_state_dict({"epoch": 0, "seed": 2, "position": 13})
        assert list(itertools.islice(sampler, 17)) == full[13:]
        assert list(itertools.islice(sampler, 3)) == full[:3]
    assert ds.reads == []


def test_infinite_sampler_rejects_empty_dataset() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        InfiniteSampler(CountingDataset(0), seed=0, rank=0, world_size=1)


def test_is_endless_tells_loops_which_loaders_never_end() -> None:
    """InfiniteSampler has a len() (MMEngine's) yet never ends: its marker says so."""
    from torch.utils.data import DataLoader, IterableDataset

    from runner_core.data import build_dataloader, is_endless

    ds = CountingDataset(10)
    infinite = InfiniteSampler(ds, seed=0, rank=0, world_size=1)
    assert is_endless(infinite) and not is_endless(DefaultSampler(ds, seed=0))
    cfg = dict(dataset=ds, batch_size=4, collate_fn=dict(type="pseudo_collate"))
    built = build_dataloader({**cfg, "sampler": dict(type="InfiniteSampler", seed=0)}, seed=0)
    assert len(built) == 3 and is_endless(built)
    assert not is_endless(build_dataloader({**cfg, "sampler": dict(type="DefaultSampler")}, seed=0))
    assert is_endless(DataLoader(ds, sampler=infinite, batch_size=4))

    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(3))

    assert is_endless(DataLoader(Stream()))  # no len(): nothing to count passes with


@pytest.mark.parametrize(
    ("size", "old_world", "new_world", "batches_done", "round_up"),
    [(32, 1, 2, 6, True), (32, 2, 1, 2, True), (30, 4, 3, 1, True), (30, 2, 3, 3, False)],
)
def test_global_start_splits_the_rest_of_the_epoch_among_another_world_size(
    size, old_world, new_world, batches_done, round_up
):
    """A run with ``old_world`` ranks (batch 4) stopped after ``batches_done`` batches; the
    ranks of a run with ``new_world`` train every sample it had not reached exactly once."""

    def make(rank: int, world: int) -> DefaultSampler:
        return DefaultSampler(range(size), seed=7, round_up=round_up, rank=rank, world_size=world)

    trained = []
    for rank in range(old_world):
        sampler = make(rank, old_world)
        sampler.set_epoch(3)
        trained += list(sampler)[: batches_done * 4]
    consumed = batches_done * 4 * old_world
    rest = []
    for rank in range(new_world):
        sampler = make(rank, new_world)
        sampler.set_epoch(3)
        sampler.set_global_start(consumed)
        share = list(sampler)
        assert len(list(sampler)) == sampler.num_samples  # one-shot: the next epoch is whole
        rest.append(share)
    if round_up:  # every rank the same number of samples (no rank waits for another)
        assert len({len(share) for share in rest}) == 1
    unique_rest = {i for share in rest for i in share}
    assert sorted(trained + sorted(unique_rest)) == list(range(size))


def test_global_start_at_the_same_world_size_is_set_start():
    for rank in range(2):
        a = DefaultSampler(range(30), seed=1, rank=rank, world_size=2)
        b = DefaultSampler(range(30), seed=1, rank=rank, world_size=2)
        a.set_start(8)
        b.set_global_start(16)
        assert list(a) == list(b)


def test_infinite_sampler_global_start_continues_the_global_stream():
    whole = list(itertools.islice(InfiniteSampler(range(10), seed=2, rank=0, world_size=1), 40))
    shares = []
    for rank in range(3):
        sampler = InfiniteSampler(range(10), seed=2, rank=rank, world_size=3)
        sampler.set_global_start(12)
        shares.append(list(itertools.islice(sampler, 4)))
    assert sorted(sum(shares, [])) == sorted(whole[12:24])


class _EvenStream(InfiniteSampler):
    """MMEngine-style: a subclass changes the stream by overriding _infinite_indices
    (mmseg's class-balanced samplers), and may read _indices_of_rank itself."""

    def __init__(self, dataset, **kwargs) -> None:
        super().__init__(dataset, **kwargs)
        self.indices = self._indices_of_rank()

    def _infinite_indices(self):
        while True:
            yield from range(0, self.size, 2)


def test_an_infinite_sampler_subclass_stream_is_used_per_rank_and_resumed() -> None:
    data = list(range(10))
    assert list(itertools.islice(_EvenStream(data, seed=0), 8)) == [0, 2, 4, 6, 8, 0, 2, 4]
    ranks = [_EvenStream(data, seed=0, rank=r, world_size=2) for r in (0, 1)]
    assert [list(itertools.islice(s, 3)) for s in ranks] == [[0, 4, 8], [2, 6, 0]]
    assert list(itertools.islice(ranks[1].indices, 3)) == [2, 6, 0]
    resumed = _EvenStream(data, seed=0, rank=1, world_size=2)
    resumed.set_start(2)  # rank 1 had taken two of its indices
    assert list(itertools.islice(resumed, 2)) == [0, 4]


def test_a_sampler_subclass_that_sets_mmengines_attributes_itself_works() -> None:
    """MMEngine's samplers are plain objects: a subclass may skip super().__init__ and
    set rank, world_size, seed, ... itself; ours crashed on '_start'."""

    class Own(DefaultSampler):
        def __init__(self, dataset) -> None:
            self.dataset, self.rank, self.world_size = dataset, 0, 1
            self.shuffle, self.seed, self.round_up = False, 0, True
            self.num_samples = self.total_size = len(dataset)

    sampler = Own(list(range(4)))
    assert list(sampler) == [0, 1, 2, 3]
    sampler.set_start(2)
    assert list(sampler) == [2, 3]
