"""Samplers that are seeded, rank-aware and can resume in the middle of an epoch.

Resuming mid-epoch: the sampler does not count the samples it yields (with
prefetching workers the sampler runs ahead of the training loop, so such a count
would be wrong). The Runner knows how many batches the loop consumed and tells
the sampler where to start: ``sampler.set_start(consumed_batches * batch_size)``
(positions count samples of this rank). The next ``__iter__`` then yields from
there, without touching the skipped samples' data, and later iterations start
at 0 again. A run resumed with another number of processes cannot count in
this rank's samples (the ranks' slices differ); it calls
``sampler.set_global_start(samples)`` instead, with the samples all ranks of
the saving run consumed, and the ranks split the rest of the epoch's order. ``state_dict()`` / ``load_state_dict()`` carry
``{'epoch', 'seed', 'position'}`` where ``position`` is that pending start;
the Runner fills it in from the consumed batches when it saves a checkpoint.

Endless samplers: ``InfiniteSampler`` reports the dataset's length (as
MMEngine's does) but never ends, so ``len()`` cannot tell a loop that its
iterator runs forever. Such a sampler says so with the class attribute
``endless = True`` (set it on a custom sampler of your own too), and loops ask
:func:`is_endless`: they then count batches along the one endless stream (a run
resumed after ``n`` batches starts the stream at batch ``n``) instead of in
``len()``-sized passes.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sized
from typing import Any

import torch
from torch.utils.data import BatchSampler, Sampler

from ..distributed.utils import get_dist_info, sync_random_seed
from ..errors import ConfigTypeError


def _rank_and_world(rank: int | None, world_size: int | None) -> tuple[int, int]:
    dist_rank, dist_world = get_dist_info()
    rank = dist_rank if rank is None else int(rank)
    world_size = dist_world if world_size is None else int(world_size)
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(
            f"Sampler got rank={rank} and world_size={world_size}; need 0 <= rank < world_size."
        )
    return rank, world_size


def _dataset_length(dataset: Any, sampler: str) -> int:
    """``len(dataset)``, or an error that says the sampler needs it (a TypeError, as ``len``'s)."""
    try:
        return len(dataset)
    except TypeError:
        if hasattr(dataset, "__len__"):
            raise  # the dataset's own __len__ failed: its error is the one to see
    raise ConfigTypeError(
        f"{sampler} needs a dataset with a length, but {type(dataset).__name__} has no "
        f"__len__. Give the dataset a __len__ returning its number of samples, or use a "
        f"sampler that does not ask for one (a torch IterableDataset needs no sampler at all)."
    )


def _check_position(position: int) -> int:
    position = int(position)
    if position < 0:
        raise ValueError(f"Sampler start position must be >= 0, got {position}.")
    return position


class _ResumableSampler(Sampler[int]):
    """What both samplers share: an epoch, a seed and a one-shot start position."""

    #: whether ``__iter__`` never ends, whatever ``__len__`` says (see :func:`is_endless`)
    endless: bool = False
    # defaults for subclasses that set the attributes without super().__init__ (as MMEngine's may)
    epoch: int = 0
    seed: int
    _start: int = 0
    _global_start: int | None = None

    def set_epoch(self, epoch: int) -> None:
        """Pick the epoch whose shuffle the next ``__iter__`` uses."""
        self.epoch = int(epoch)

    def set_start(self, position: int) -> None:
        """Make the next ``__iter__`` (only that one) begin at sample ``position`` of this rank."""
        self._start = _check_position(position)

    def set_global_start(self, position: int) -> None:
        """Make the next ``__iter__`` (only that one) yield this rank's share of the
        epoch's global order from sample ``position`` on (all ranks counted together).

        For a run resumed with another number of processes: the saving run's
        ranks consumed the order's first ``position`` samples, whatever their
        number, and the ranks now split what is left, so each remaining sample
        is drawn exactly once.
        """
        self._global_start = _check_position(position)

    def state_dict(self) -> dict[str, Any]:
        """``{'epoch', 'seed', 'position'}``: enough to replay the same order."""
        return {"epoch": self.epoch, "seed": self.seed, "position": self._start}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the epoch, the seed and the position the next iteration starts at."""
        self.epoch = int(state.get("epoch", self.epoch))
        self.seed = int(state.get("seed", self.seed))
        self._start = _check_position(state.get("position", 0))


class DefaultSampler(_ResumableSampler):
    """Split a sized dataset across ranks, shuffled with a seed per epoch.

    Rank ``r`` of ``w`` gets ``indices[r::w]`` of the (optionally shuffled)
    index list; with ``round_up`` the list is first padded, by repeating its
    head, to a multiple of ``w`` so every rank gets the same count.

    Args:
        dataset: anything with ``__len__``; its items are never read here.
        shuffle: shuffle the order each epoch (``torch.randperm`` seeded with
            ``seed + epoch``, so the order is reproducible).
        seed: the shuffle seed; None draws one on rank 0 and shares it.
        round_up: pad so that every rank yields ``ceil(len / world_size)``.
        rank, world_size: override the process group's values (tests).
    """

    def __init__(
        self,
        dataset: Sized,
        shuffle: bool = True,
        seed: int | None = None,
        round_up: bool = True,
        *,
        rank: int | None = None,
        world_size: int | None = None,
    ) -> None:
        self.dataset = dataset
        self.shuffle = bool(shuffle)
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.round_up = bool(round_up)
        self.rank, self.world_size = _rank_and_world(rank, world_size)
        self.epoch = 0
        self._start = 0
        self._global_start: int | None = None
        size = _dataset_length(dataset, type(self).__name__)
        if self.round_up:
            self.num_samples = math.ceil(size / self.world_size)
            self.total_size = self.num_samples * self.world_size
        else:
            self.num_samples = max(0, math.ceil((size - self.rank) / self.world_size))
            self.total_size = size

    def _epoch_indices(self) -> list[int]:
        """This epoch's full index list (all ranks), padded when rounding up."""
        size = len(self.dataset)
        if self.shuffle:
            generator = torch.Generator()
            generator.manual_seed(self.seed + self.epoch)
            indices = torch.randperm(size, generator=generator).tolist()
        else:
            indices = list(range(size))
        if self.round_up and size:
            repeats = math.ceil(self.total_size / size)
            indices = (indices * repeats)[: self.total_size]
        return indices

    def __iter__(self) -> Iterator[int]:
        start, self._start = self._start, 0
        global_start, self._global_start = self._global_start, None
        if global_start is not None:
            return iter(self._rest_from(global_start)[self.rank :: self.world_size])
        mine = self._epoch_indices()[self.rank : self.total_size : self.world_size]
        return iter(mine[start:])

    def _rest_from(self, position: int) -> list[int]:
        """The epoch's order (all ranks) from ``position`` on, padded as this world
        size pads it: for ``position`` a multiple of the world size, exactly the
        samples an uninterrupted epoch would still yield."""
        if position >= len(self.dataset):
            return []
        rest = self._epoch_indices()[position:]
        if self.round_up and len(rest) % self.world_size:
            # another world size consumed ``position``: pad the rest evenly again
            total = math.ceil(len(rest) / self.world_size) * self.world_size
            rest = (rest * math.ceil(total / len(rest)))[:total]
        return rest

    def __len__(self) -> int:
        """Samples this rank yields in a whole epoch (a resumed epoch yields fewer)."""
        return self.num_samples

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(size={len(self.dataset)}, shuffle={self.shuffle}, seed={self.seed}, "
            f"round_up={self.round_up}, rank={self.rank}, world_size={self.world_size})"
        )


class InfiniteSampler(_ResumableSampler):
    """An endless, rank-aware stream of indices for iteration-based training.

    The global stream is the concatenation of passes over the dataset,
    shuffled by one generator seeded once with ``seed`` (pass ``k`` is its
    ``k``-th ``randperm``: MMEngine's order); rank ``r`` of ``w`` takes every
    ``w``-th index starting at ``r``. ``set_start(position)`` finds its pass
    arithmetically and replays only the shuffles before it (one ``randperm``
    per pass, no data is read).

    Args:
        dataset: anything with ``__len__``; its items are never read here.
        shuffle: shuffle each pass.
        seed: the shuffle seed; None draws one on rank 0 and shares it.
        rank, world_size: override the process group's values (tests).
    """

    endless = True

    def __init__(
        self,
        dataset: Sized,
        shuffle: bool = True,
        seed: int | None = None,
        *,
        rank: int | None = None,
        world_size: int | None = None,
    ) -> None:
        size = _dataset_length(dataset, type(self).__name__)
        if size == 0:
            raise ValueError(
                f"InfiniteSampler needs a non-empty dataset, got an empty {type(dataset).__name__}."
            )
        self.dataset = dataset
        self.size = size  # MMEngine's attribute: the length the stream cycles over
        self.shuffle = bool(shuffle)
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.rank, self.world_size = _rank_and_world(rank, world_size)
        self.epoch = 0
        self._start = 0
        self._global_start: int | None = None

    def _passes(self, size: int, first: int) -> Iterator[list[int]]:
        """Passes ``first``, ``first + 1``, ... of the global stream."""
        if not self.shuffle:
            while True:
                yield list(range(size))
        generator = torch.Generator()
        generator.manual_seed(self.seed)
        for _ in range(first):  # a resumed stream: replay the earlier passes' shuffles
            torch.randperm(size, generator=generator)
        while True:
            yield torch.randperm(size, generator=generator).tolist()

    def _stream(self, start: int, global_start: int | None = None) -> Iterator[int]:
        size = self.size
        if global_start is None:
            global_start = start * self.world_size
        k, offset = divmod(self.rank + global_start, size)
        for indices in self._passes(size, k):
            while offset < size:
                yield indices[offset]
                offset += self.world_size
            offset -= size

    def _infinite_indices(self) -> Iterator[int]:
        """The global endless stream, all ranks (MMEngine's hook: subclasses override it)."""
        for indices in self._passes(self.size, 0):
            yield from indices

    def _indices_of_rank(self) -> Iterator[int]:
        """This rank's share of ``_infinite_indices()`` (MMEngine's name)."""
        return itertools.islice(self._infinite_indices(), self.rank, None, self.world_size)

    def __iter__(self) -> Iterator[int]:
        start, self._start = self._start, 0
        global_start, self._global_start = self._global_start, None
        if type(self)._infinite_indices is not InfiniteSampler._infinite_indices:
            # an MMEngine-style subclass: its own stream, resumed by skipping positions
            skip = start * self.world_size if global_start is None else global_start
            return itertools.islice(
                self._infinite_indices(), self.rank + skip, None, self.world_size
            )
        return self._stream(start, global_start)

    def __len__(self) -> int:
        """The dataset's length, on every rank (MMEngine's value: the stream has no end)."""
        return self.size

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(size={self.size}, shuffle={self.shuffle}, seed={self.seed}, "
            f"rank={self.rank}, world_size={self.world_size})"
        )


def is_endless(source: Any) -> bool:
    """Whether a data loader (or sampler, or batch sampler) yields batches forever.

    True when its sampler is marked ``endless = True`` (``InfiniteSampler``),
    or when it has no ``len()`` at all. Loops need this because an endless
    sampler still has a length (the dataset's, as in MMEngine): counting
    resumed batches in passes of that length would start the stream at the
    wrong place, since the stream itself never starts a new pass.
    """
    batch_sampler = getattr(source, "batch_sampler", None)
    candidates = (
        source,
        batch_sampler,
        getattr(batch_sampler, "sampler", None),
        getattr(source, "sampler", None),
    )
    if any(getattr(c, "endless", False) is True for c in candidates if c is not None):
        return True
    try:
        len(source)
    except TypeError:
        return True
    return False


__all__ = ["DefaultSampler", "InfiniteSampler", "is_endless"]


class SeededBatch(list):
    """A batch of indices that carries the seed its samples are loaded with."""

    __slots__ = ("seed",)

    def __init__(self, indices: list[int], seed: int) -> None:
        super().__init__(indices)
        self.seed = seed

    def __reduce__(self) -> Any:  # sent to worker processes through a queue
        return (SeededBatch, (list(self), self.seed))


def epoch_of(sampler: Any) -> int | None:
    """The epoch a sampler, or a batch sampler over one, was told (``set_epoch``); None
    when neither keeps one."""
    epoch = getattr(sampler, "epoch", None)
    if epoch is None:  # a batch sampler wrapping a sampler
        epoch = getattr(getattr(sampler, "sampler", None), "epoch", None)
    return None if epoch is None else int(epoch)


def batch_seed(seed: int, rank: int, epoch: int, index: int) -> int:
    """The seed batch ``index`` (0-based, in the epoch) of ``epoch`` is loaded with."""
    return hash((seed & 0xFFFFFFFF, rank, epoch, index)) & 0x7FFFFFFFFFFFFFFF


class SeededBatches:
    """A batch sampler of the config's own (mmdet's ``AspectRatioBatchSampler``) whose
    batches carry their seeds, as :class:`SeededBatchSampler`'s do, for data workers.

    Without it the workers were seeded once, when they start: with
    ``persistent_workers=True`` they start once per run, so a run resumed in a
    later epoch augmented its batches differently from the uninterrupted run.
    The epoch is the batch sampler's (or its sampler's) ``epoch``; one without
    counts its own passes. Every other attribute, read or set, is the wrapped
    batch sampler's (``loader.batch_sampler.sampler``, ``set_epoch``).
    """

    def __init__(self, batch_sampler: Any, seed: int, rank: int) -> None:
        object.__setattr__(self, "_inner", batch_sampler)
        object.__setattr__(self, "_seeding", (int(seed), int(rank)))
        object.__setattr__(self, "_passes", 0)

    @property
    def wrapped(self) -> Any:
        """The config's batch sampler."""
        return self._inner

    def _epoch(self) -> int:
        epoch = epoch_of(self._inner)
        return self._passes if epoch is None else epoch

    def __iter__(self) -> Iterator[list[int]]:
        seed, rank = self._seeding
        epoch = self._epoch()
        object.__setattr__(self, "_passes", self._passes + 1)
        for i, batch in enumerate(self._inner):  # a resumed epoch draws it from its start
            yield SeededBatch(list(batch), batch_seed(seed, rank, epoch, i))

    def __len__(self) -> int:
        return len(self._inner)

    def __getattr__(self, name: str) -> Any:
        if name in ("_inner", "_seeding", "_passes"):  # not set yet (unpickling): no loop
            raise AttributeError(name)
        return getattr(self._inner, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._inner, name, value)

    def __repr__(self) -> str:
        return f"SeededBatches({self._inner!r})"


class SeededBatchSampler(BatchSampler):
    """Batches that name their own random seed: ``(seed, rank, epoch, batch index)``.

    Data workers reseed python, numpy and torch from that seed before loading
    a batch (see ``WorkerSeeder``); without workers the loader does the same in
    this process, and then gives the training's random streams back
    (``runner_core.data.dataloader.InProcessSeeding``). So random augmentation
    depends only on which batch it is, not on which worker loads it or on
    where the epoch started. That makes a resumed epoch, which skips its first
    batches without loading them, augment the remaining batches exactly as an
    uninterrupted one, and makes results independent of ``num_workers``.
    """

    # any sampler the loader was given; the standard ones have set_start / set_epoch
    sampler: Any

    def __init__(
        self,
        sampler: Any,
        batch_size: int,
        drop_last: bool,
        seed: int,
        rank: int,
        carry_seed: bool = True,
    ) -> None:
        super().__init__(sampler, batch_size, drop_last)
        self.seed = int(seed)
        self.rank = int(rank)
        #: batches are ``SeededBatch`` lists (for workers); without workers plain lists,
        #: the loader computing each batch's seed from its position
        self.carry_seed = bool(carry_seed)

    def set_start(self, batches: int) -> None:
        """Make the next epoch begin at batch ``batches`` (the sampler skips the samples)."""
        self.sampler.set_start(int(batches) * self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        self.sampler.set_epoch(epoch)

    def first_batch(self) -> int:
        """The epoch's batch the next ``iter()`` starts at (``set_start``)."""
        return int(getattr(self.sampler, "_start", 0) or 0) // self.batch_size

    def current_epoch(self) -> int:
        """The epoch the next ``iter()`` draws (the sampler's ``set_epoch``)."""
        return int(getattr(self.sampler, "epoch", 0) or 0)

    def batch_seed(self, epoch: int, index: int) -> int:
        """The seed batch ``index`` (0-based, in the epoch) of ``epoch`` is loaded with."""
        return batch_seed(self.seed, self.rank, epoch, index)

    def __iter__(self) -> Iterator[list[int]]:
        if not self.carry_seed:
            yield from super().__iter__()
            return
        epoch = self.current_epoch()
        for i, batch in enumerate(super().__iter__(), self.first_batch()):
            yield SeededBatch(batch, self.batch_seed(epoch, i))
