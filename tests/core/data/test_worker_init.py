"""``worker_init_fn``: MMEngine's per-worker seeding, seed ``num_workers * rank + worker_id + seed``."""

from __future__ import annotations

import random
import warnings

import numpy as np
import torch

from runner_core.data import worker_init_fn


def _draws() -> tuple[float, float, float]:
    return random.random(), float(np.random.rand()), float(torch.rand(1))


def test_seeds_python_numpy_and_torch_from_mmengines_formula() -> None:
    saved = random.getstate(), np.random.get_state(), torch.get_rng_state()
    try:
        worker_init_fn(1, num_workers=4, rank=2, seed=100)  # 4 * 2 + 1 + 100
        got = _draws()
        expected = (
            random.Random(109).random(),
            float(np.random.RandomState(109).rand()),
            float(torch.rand(1, generator=torch.Generator().manual_seed(109))),
        )
        assert got == expected
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        torch.set_rng_state(saved[2])


def test_disable_subprocess_warning_silences_all_but_the_first_worker() -> None:
    saved = random.getstate(), np.random.get_state(), torch.get_rng_state()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            worker_init_fn(0, 2, 0, 0, disable_subprocess_warning=True)
            warnings.warn("first worker still warns", stacklevel=1)
            worker_init_fn(1, 2, 0, 0, disable_subprocess_warning=True)
            warnings.warn("other workers do not", stacklevel=1)
        assert [str(w.message) for w in caught] == ["first worker still warns"]
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        torch.set_rng_state(saved[2])
