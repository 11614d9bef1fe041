"""Fixtures shared by the distributed tests: reference runs made once per session."""

from __future__ import annotations

import pytest
from torchrun_helpers import Run, run_worker


@pytest.fixture(scope="session")
def single_process_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One process, global batch 8: the reference for every 2-rank run (2 x 4)."""
    return run_worker(tmp_path_factory.mktemp("single"), {"batch_size": 8}, nproc=None)


@pytest.fixture(scope="session")
def ddp_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Two ranks over gloo with DDP, batch 4 each, checkpoints every iteration."""
    return run_worker(tmp_path_factory.mktemp("ddp"), {"save_every_iter": True})
