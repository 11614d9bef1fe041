"""Starting a data loader at a given epoch and batch, without loading the skipped batches."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import IterableDataset

from .sampler import SeededBatches, SeededBatchSampler


def set_epoch(dataloader: Any, epoch: int) -> None:
    """Tell the loader's sampler (or batch sampler) which epoch it is."""
    for owner in (
        getattr(dataloader, "sampler", None),
        getattr(getattr(dataloader, "batch_sampler", None), "sampler", None),
    ):
        if owner is not None and hasattr(owner, "set_epoch"):
            owner.set_epoch(epoch)
            return


def _sampler(dataloader: Any) -> Any:
    batch_sampler = getattr(dataloader, "batch_sampler", None)
    return getattr(batch_sampler, "sampler", None) or getattr(dataloader, "sampler", None)


def can_start_globally(dataloader: Any) -> bool:
    """Whether the loader's sampler can split the rest of an epoch among another
    number of processes (``set_global_start``, as the standard samplers do)."""
    return hasattr(_sampler(dataloader), "set_global_start")


def can_start_mid_epoch(dataloader: Any) -> bool:
    """Whether :func:`iter_from` can start the loader at a later batch without loading
    the batches before it (its sampler or batch sampler has ``set_start``)."""
    return _late_starter(dataloader) is not None


def _late_starter(dataloader: Any) -> Any:
    """The sampler or batch sampler :func:`iter_from` tells where to start, or None."""
    batch_sampler = getattr(dataloader, "batch_sampler", None)
    sampler = _sampler(dataloader)
    if getattr(dataloader, "batch_size", None) and hasattr(sampler, "set_start"):
        return sampler
    # our seeded batch sampler starts late only through a sampler that can
    if isinstance(batch_sampler, SeededBatchSampler) and not hasattr(sampler, "set_start"):
        return None
    return batch_sampler if hasattr(batch_sampler, "set_start") else None


def _what_cannot_start(dataloader: Any) -> str:
    """The part of the loader that keeps it from starting mid-epoch, for a warning."""
    dataset = getattr(dataloader, "dataset", None)
    if isinstance(dataset, IterableDataset):
        return f"IterableDataset ({type(dataset).__name__})"
    batch_sampler = getattr(dataloader, "batch_sampler", None)
    sampler = _sampler(dataloader)
    if hasattr(sampler, "set_start") and batch_sampler is not None:
        # the sampler could, but a custom batch sampler over it draws the batches
        if isinstance(batch_sampler, SeededBatches):
            batch_sampler = batch_sampler.wrapped
        return f"batch sampler ({type(batch_sampler).__name__})"
    return f"sampler ({type(sampler).__name__})"


def draws_worker_seed_once(dataloader: Any) -> bool:
    """Whether the loader's workers draw their base seed from torch's global stream
    once, when its first iterator starts them (``persistent_workers=True`` and no
    ``generator`` of its own; loaders built from a config have one)."""
    return (
        bool(getattr(dataloader, "persistent_workers", False))
        and int(getattr(dataloader, "num_workers", 0) or 0) > 0
        and getattr(dataloader, "generator", True) is None
    )


@contextlib.contextmanager
def workers_seeded_aside(dataloader: Any) -> Iterator[None]:
    """Let an iterator started in this block draw its workers' base seed from a copy
    of torch's global stream, so that starting the workers (which the interrupted
    run did in an earlier epoch) does not move the stream the sampler draws from."""
    aside = torch.Generator()
    aside.set_state(torch.get_rng_state())
    dataloader.generator = aside
    try:
        yield
    finally:
        dataloader.generator = None


def iter_from(
    dataloader: Any,
    start_batch: int,
    *,
    global_start: int | None = None,
    epoch_rng_restored: bool = False,
) -> Iterator[Any]:
    """An iterator over ``dataloader`` that begins at batch ``start_batch``.

    The sampler is told to start later (``set_start``), so skipped samples are
    never loaded. A loader whose sampler cannot do that is advanced by
    iterating, with a warning, as other frameworks do: its order is drawn
    when the iterator starts, so it is the interrupted run's only if the
    global random streams are those the epoch started with
    (``epoch_rng_restored``: the caller put them back), and the warning says
    which.

    ``global_start`` (a run resumed with another number of processes): the
    samples all ranks of the saving run consumed in this epoch; the sampler
    skips them in the epoch's global order and this run's ranks split the
    rest (``set_global_start``). ``start_batch`` then only numbers the
    batches. A sampler that cannot do that restarts the epoch, with a
    warning: samples are trained twice rather than never.
    """
    if global_start is not None:
        sampler = _sampler(dataloader)
        if hasattr(sampler, "set_global_start"):
            sampler.set_global_start(global_start)
        else:
            warnings.warn(
                f"The data loader's sampler ({type(sampler).__name__}) cannot split the rest "
                "of an epoch among another number of processes: the interrupted epoch "
                "restarts from its first batch, so samples trained before the checkpoint "
                "are trained again. Use DefaultSampler to continue where the run stopped.",
                stacklevel=2,
            )
        return iter(dataloader)
    if start_batch <= 0:
        return iter(dataloader)
    starter = _late_starter(dataloader)
    if starter is not None:  # a sampler counts samples, a batch sampler batches
        per = dataloader.batch_size if starter is _sampler(dataloader) else 1
        starter.set_start(start_batch * per)
        return iter(dataloader)
    what = _what_cannot_start(dataloader)
    if epoch_rng_restored:
        order = (
            "with the random streams put back as they were when the epoch started, so a "
            "shuffled order is drawn again as the interrupted run drew it. Data that also "
            "draws from the global random streams while the epoch runs (not only when its "
            "iterator starts; e.g. in turn with the model's dropout) may still differ from "
            "the interrupted run's"
        )
    else:
        order = (
            "but the random streams the epoch started with are not known (a checkpoint "
            "saved by MMEngine or an older runner), so a shuffled order is drawn anew: "
            "unless the order is fixed, the resumed data may differ from the interrupted "
            "run's (samples trained twice or not at all in this epoch)"
        )
    warnings.warn(
        f"The data loader's {what} cannot start mid-epoch: {start_batch} batches are "
        f"loaded and skipped to resume, {order}. Use DefaultSampler (or a sampler with "
        "set_start) to start mid-epoch exactly without loading batches.",
        stacklevel=2,
    )
    it = iter(dataloader)
    for _ in range(start_batch):
        next(it)
    return it
