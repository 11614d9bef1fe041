"""``worker_init_fn``: MMEngine's per-worker seeding function, for code that passes it itself.

``build_dataloader`` seeds its workers on its own (``WorkerSeeder``, from the
seed, epoch, rank and worker id, so epochs differ and resume is exact). This
is the function MMEngine users hand to a ``DataLoader`` of their own, or name
in ``worker_init_fn=dict(type=worker_init_fn, ...)``: each worker gets
MMEngine's seed ``num_workers * rank + worker_id + seed``, so the same
arguments give the same random streams as MMEngine's.
"""

from __future__ import annotations

import random
import warnings

import numpy as np
import torch


def worker_init_fn(
    worker_id: int,
    num_workers: int,
    rank: int,
    seed: int,
    disable_subprocess_warning: bool = False,
) -> None:
    """Seed python ``random``, numpy and torch of data worker ``worker_id``, as MMEngine does.

    ``disable_subprocess_warning=True`` silences Python warnings in every
    worker but the first, so a warning a dataset raises prints once, not once
    per worker. (numpy takes the seed modulo 2**32, where MMEngine's raises.)
    """
    worker_seed = num_workers * rank + worker_id + seed
    np.random.seed(worker_seed % 2**32)
    random.seed(worker_seed)
    torch.manual_seed(worker_seed)
    if disable_subprocess_warning and worker_id != 0:
        warnings.simplefilter("ignore")
