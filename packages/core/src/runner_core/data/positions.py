"""Starting a data loader at a given epoch and batch, without loading the skipped batches."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

from .sampler import SeededBatchSampler


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


def iter_from(
    dataloader: Any, start_batch: int, *, global_start: int | None = None
) -> Iterator[Any]:
    """An iterator over ``dataloader`` that begins at batch ``start_batch``.

    The sampler is told to start later (``set_start``), so skipped samples are
    never loaded. A loader whose sampler cannot do that is advanced by
    iterating, with a warning, as other frameworks do.

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
    batch_sampler = getattr(dataloader, "batch_sampler", None)
    sampler = _sampler(dataloader)
    batch_size = getattr(dataloader, "batch_size", None)
    if batch_size and sampler is not None and hasattr(sampler, "set_start"):
        sampler.set_start(start_batch * batch_size)
        return iter(dataloader)
    # our seeded batch sampler starts late only through a sampler that can
    wraps_one_that_cannot = isinstance(batch_sampler, SeededBatchSampler) and not hasattr(
        sampler, "set_start"
    )
    if (
        batch_sampler is not None
        and hasattr(batch_sampler, "set_start")
        and not wraps_one_that_cannot
    ):
        batch_sampler.set_start(start_batch)
        return iter(dataloader)
    warnings.warn(
        f"The data loader's sampler ({type(sampler).__name__}) cannot start mid-epoch: "
        f"{start_batch} batches are loaded and skipped to resume. Use DefaultSampler to avoid it.",
        stacklevel=2,
    )
    it = iter(dataloader)
    for _ in range(start_batch):
        next(it)
    return it
